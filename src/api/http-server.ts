import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log';
import { runHealthChecks, type HealthProbe } from './health';

/**
 * One endpoint. Handlers own their request from here on: they read the body (bounded), answer in their
 * protocol's own format, and never throw; a rejected promise still gets a generic 500 and a log line.
 */
export interface Route {
  readonly method: 'GET' | 'POST' | 'HEAD';
  /** Exact path, or a prefix ending in '/' that matches everything below it (e.g. '/ocsp/' for RFC 6960 GET). */
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: {
    readonly certFile: string;
    readonly keyFile: string;
    /**
     * Ask clients for a certificate (mutual TLS) without judging it here: an AP is matched to its registered
     * certificate's SHA-256 by the service (TS 102 204 APs often use self-signed certificates).
     */
    readonly requestClientCertificate?: boolean;
  };
  readonly health: readonly HealthProbe[];
  readonly routes?: readonly Route[];
  readonly logger: Logger;
}

function findRoute(routes: readonly Route[], method: string, path: string): Route | undefined {
  return routes.find((r) => r.method === method && (r.path === path || (r.path.endsWith('/') && path.startsWith(r.path))));
}

export interface RunningHttpServer {
  readonly url: string;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload), 'cache-control': 'no-store' });
  res.end(payload);
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { logger } = options;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      runHealthChecks(options.health).then(
        (report) => {
          if (report.status !== 'ok') logger.warn({ health: report.checks }, 'health check failing');
          sendJson(res, report.status === 'ok' ? 200 : 503, report);
        },
        (err: unknown) => {
          logger.error({ err }, 'health check crashed');
          sendJson(res, 500, { status: 'failing' });
        },
      );
      return;
    }
    const route = findRoute(options.routes ?? [], req.method ?? 'GET', path ?? '/');
    if (route) {
      route.handle(req, res).catch((err: unknown) => {
        logger.error({ err, path }, 'request handler failed');
        if (!res.headersSent) sendJson(res, 500, { type: 'about:blank', title: 'Internal Server Error', status: 500 }, 'application/problem+json');
        else res.destroy();
      });
      return;
    }
    sendJson(res, 404, { type: 'about:blank', title: 'Not Found', status: 404 }, 'application/problem+json');
  };

  const server: Server = options.tls
    ? createHttps(
        {
          cert: readFileSync(options.tls.certFile),
          key: readFileSync(options.tls.keyFile),
          ...(options.tls.requestClientCertificate ? { requestCert: true, rejectUnauthorized: false } : {}),
        },
        handler,
      )
    : createHttp(handler);
  // A slow client must not hold a socket for ever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  // Node's 5 s idle keep-alive races with clients that reuse a pooled connection just as it is closed ("other side
  // closed"); APs and load balancers keep connections longer, so the server keeps them at least as long.
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${address.port}`;
  logger.info({ url }, 'HTTP listener started');

  return {
    url,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeIdleConnections();
      }),
  };
}
