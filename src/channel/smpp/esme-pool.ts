import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { SmppClientClosedError, SmppInvalidArgumentError } from './errors';
import { EsmeClient, type EsmeEvents, type EsmeStats, type OutboundMessage, type SubmitResult } from './esme-client';
import type { EsmeClientOptions } from './options';

/**
 * Several binds to the same SMSC for throughput (an SMSC contract usually limits each bind's rate):
 * messages go round-robin to the binds that are up; all binds' inbound messages and receipts come out of
 * the pool's events. A message stays on the bind that took it, so a bind that drops keeps its queue and
 * sends it after its own reconnect (the per-id guarantees of EsmeClient hold per message).
 */
export class EsmePool extends EventEmitter<EsmeEvents> {
  readonly clients: readonly EsmeClient[];
  private next = 0;
  private readonly assigned = new Map<string, Promise<SubmitResult>>();
  private closed = false;

  constructor(binds: readonly EsmeClientOptions[]) {
    super();
    if (binds.length === 0) throw new SmppInvalidArgumentError('binds', 'at least one bind is needed');
    this.clients = binds.map((options, i) => new EsmeClient({ ...options, name: options.name ?? `${options.systemId}#${i + 1}` }));
    for (const client of this.clients) {
      client.on('message', (m) => this.emit('message', m));
      client.on('receipt', (r) => this.emit('receipt', r));
      client.on('bound', (b) => this.emit('bound', b));
      client.on('disconnected', (b, reason) => this.emit('disconnected', b, reason));
    }
  }

  /** Resolves once every bind is up; rejects if any is refused for good (the others are closed too). */
  async start(): Promise<void> {
    const outcomes = await Promise.allSettled(this.clients.map((c) => c.start()));
    const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (refused !== undefined) {
      await this.close();
      throw refused.reason;
    }
  }

  submit(message: OutboundMessage): Promise<SubmitResult> {
    if (this.closed) return Promise.reject(new SmppClientClosedError());
    const id = message.id ?? randomUUID();
    // The same id always goes to the same bind, which keeps EsmeClient's at-most-once per id across the pool.
    const earlier = this.assigned.get(id);
    if (earlier !== undefined) return earlier;
    const client = this.pick();
    const outcome = client.submit({ ...message, id });
    this.assigned.set(id, outcome);
    const forget = (): void => {
      if (this.assigned.size > 100_000) this.assigned.delete(this.assigned.keys().next().value ?? id);
    };
    outcome.then(forget, forget);
    return outcome;
  }

  stats(): EsmeStats[] {
    return this.clients.map((c) => c.stats());
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.clients.map((c) => c.close()));
  }

  private pick(): EsmeClient {
    const n = this.clients.length;
    for (let i = 0; i < n; i += 1) {
      const client = this.clients[(this.next + i) % n];
      if (client !== undefined && client.state === 'bound') {
        this.next = (this.next + i + 1) % n;
        return client;
      }
    }
    // None is bound right now: queue on the next one in turn; it sends after its reconnect.
    const client = this.clients[this.next % n] as EsmeClient;
    this.next = (this.next + 1) % n;
    return client;
  }
}
