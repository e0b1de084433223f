/**
 * Hand-written types for the one part of the `pg` package (8.x) used directly: a single Client that LISTENs for
 * the event bus (events.ts). Everything else goes through knex. The package ships no types.
 */
declare module 'pg' {
  export interface ClientConfig {
    readonly connectionString?: string;
    readonly connectionTimeoutMillis?: number;
    readonly application_name?: string;
  }

  export interface Notification {
    readonly processId: number;
    readonly channel: string;
    readonly payload?: string;
  }

  export class Client {
    constructor(config?: ClientConfig);
    connect(): Promise<void>;
    query(text: string, values?: readonly unknown[]): Promise<{ readonly rows: readonly unknown[] }>;
    end(): Promise<void>;
    on(event: 'notification', listener: (message: Notification) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'end', listener: () => void): this;
    removeAllListeners(): this;
  }

  const pg: { readonly Client: typeof Client };
  export default pg;
}
