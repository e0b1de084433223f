import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log';
import { MpsError, checkIdempotencyKey, requestHash, type ApiKeys, type ApiPrincipal, type IdempotencyAnswers } from '../../mps';
import type { Route } from '../http-server';
import { callerOf } from '../soap/route';
import { MPS_BASE_PATH, readJsonObject, sendJson, type JsonObject, type MpsAnswer, type MpsOperation } from './http';
import { mpsProblem } from './problem';

/**
 * The MPS API as one pipeline, one step each: match the operation → authenticate the API key (and its TLS client
 * certificate when the key requires one) → check the role → for a POST, the Idempotency-Key (replay or conflict)
 * → the operation → remember a POST's answer. Every refusal leaves through mpsProblem().
 */

export interface MpsRouteOptions {
  readonly operations: readonly MpsOperation[];
  readonly keys: ApiKeys;
  readonly answers: IdempotencyAnswers;
  readonly logger: Logger;
  /** Unauthenticated documents (the OpenAPI document, the callback key). */
  readonly publicDocuments: readonly { readonly path: string; readonly contentType: string; readonly body: () => string }[];
}

async function authenticate(req: IncomingMessage, keys: ApiKeys): Promise<ApiPrincipal> {
  const header = req.headers.authorization;
  const presented = typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : undefined;
  if (presented === undefined) throw new MpsError('UNAUTHENTICATED', 'send the API key as "Authorization: Bearer <id>.<secret>"');
  const principal = await keys.authenticate(presented);
  if (principal === undefined) throw new MpsError('UNAUTHENTICATED', 'the API key is not valid');
  if (principal.tlsFingerprint !== null && callerOf(req).clientCertFingerprint !== principal.tlsFingerprint) {
    throw new MpsError('UNAUTHENTICATED', 'this API key must come with its TLS client certificate');
  }
  return principal;
}

function safeDecode(part: string | undefined): string {
  try {
    return part === undefined ? '' : decodeURIComponent(part);
  } catch {
    throw new MpsError('NOT_FOUND', 'the path is not well-formed');
  }
}

function answer(res: ServerResponse, a: MpsAnswer): void {
  if (a.raw !== undefined) {
    res.writeHead(a.status, {
      'content-type': a.raw.contentType,
      'content-length': a.raw.body.length,
      'cache-control': 'no-store',
      ...(a.raw.filename !== undefined ? { 'content-disposition': `attachment; filename="${a.raw.filename}"` } : {}),
    });
    res.end(a.raw.body);
    return;
  }
  sendJson(res, a.status, JSON.stringify(a.json ?? {}));
}

export function mpsRoutes(options: MpsRouteOptions): Route[] {
  const { logger } = options;
  // A retry racing its first try (same key, same Idempotency-Key) waits for it here, then gets its remembered
  // answer, rather than being judged half-way through the first one's work.
  const inFlight = new Map<string, Promise<void>>();
  const oneAtATime = async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    for (let earlier = inFlight.get(key); earlier !== undefined; earlier = inFlight.get(key)) await earlier;
    let done: () => void = () => undefined;
    inFlight.set(key, new Promise<void>((r) => (done = r)));
    try {
      return await fn();
    } finally {
      inFlight.delete(key);
      done();
    }
  };
  const handle = async (method: 'GET' | 'POST', req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = ((req.url ?? '').split('?')[0] ?? '').slice(MPS_BASE_PATH.length);
    let principal: ApiPrincipal | undefined;
    let operationId = 'unknown';
    try {
      if (method === 'GET') {
        const doc = options.publicDocuments.find((d) => d.path === path);
        if (doc !== undefined) {
          sendJson(res, 200, doc.body(), doc.contentType);
          return;
        }
      }
      let params: string[] = [];
      const operation = options.operations.find((op) => {
        const m = op.method === method ? op.path.exec(path) : null;
        if (m !== null) params = m.slice(1).map(safeDecode);
        return m !== null;
      });
      if (operation === undefined) throw new MpsError('NOT_FOUND', `no ${method} ${MPS_BASE_PATH}${path.slice(0, 100)}`);
      operationId = operation.id;
      principal = await authenticate(req, options.keys);
      if (!operation.roles.includes(principal.role)) throw new MpsError('FORBIDDEN', `a ${principal.role} key may not ${operation.id}`);
      if (method === 'GET') {
        answer(res, await operation.handle({ principal, params, body: {}, idempotencyKey: '' }));
        return;
      }
      const idempotencyKey = checkIdempotencyKey(req.headers['idempotency-key']);
      const { raw, json } = await readJsonObject(req);
      const hash = requestHash(method, path, raw);
      const who = principal;
      const answered = await oneAtATime(`${who.keyId}\n${idempotencyKey}`, async () => {
        const earlier = await options.answers.lookup(who.keyId, idempotencyKey, hash);
        if (earlier.kind === 'replay') return { ...earlier, replayed: true };
        const result = await operation.handle({ principal: who, params, body: json as JsonObject, idempotencyKey });
        return { ...(await options.answers.remember(who.keyId, idempotencyKey, hash, result.status, JSON.stringify(result.json ?? {}))), replayed: false };
      });
      if (answered.replayed) res.setHeader('idempotent-replayed', 'true');
      sendJson(res, answered.status, answered.body);
    } catch (err) {
      const problem = mpsProblem(err);
      const context = { component: 'mps.api', operation: operationId, key: principal?.keyId, remote: req.socket.remoteAddress };
      if (problem.unexpected) logger.error({ err, ...context }, 'MPS API request failed');
      else logger.info({ code: problem.body.code, detail: problem.body.detail, ...context }, 'MPS API request refused');
      if (!res.headersSent) sendJson(res, problem.status, JSON.stringify(problem.body), 'application/problem+json');
      else res.destroy();
    }
  };
  return [
    { method: 'GET', path: `${MPS_BASE_PATH}/`, handle: (req, res) => handle('GET', req, res) },
    { method: 'POST', path: `${MPS_BASE_PATH}/`, handle: (req, res) => handle('POST', req, res) },
  ];
}
