import type { IncomingMessage, ServerResponse } from 'node:http';
import { MpsError, type ApiPrincipal, type ApiRole } from '../../mps';
import { BodyTooLargeError, readBody } from '../body';

export const MPS_BASE_PATH = '/mps/v1';
export const MAX_MPS_JSON_BYTES = 64 * 1024;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** One authenticated call, as the operations see it. */
export interface MpsCall {
  readonly principal: ApiPrincipal;
  /** The path's captured parts (e.g. the offer id). */
  readonly params: readonly string[];
  /** The JSON body of a POST (an object), {} for GET. */
  readonly body: JsonObject;
  /** The Idempotency-Key of a POST, '' for GET. */
  readonly idempotencyKey: string;
}

export interface MpsAnswer {
  readonly status: number;
  readonly json?: unknown;
  readonly raw?: { readonly contentType: string; readonly body: Buffer; readonly filename?: string };
}

/** One operation of the API: who may call it, where, and the handler. */
export interface MpsOperation {
  readonly id: string;
  readonly method: 'GET' | 'POST';
  /** Matched against the path below /mps/v1; groups become params. */
  readonly path: RegExp;
  readonly roles: readonly ApiRole[];
  handle(call: MpsCall): Promise<MpsAnswer>;
}

export function sendJson(res: ServerResponse, status: number, body: string, contentType = 'application/json'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

export async function readJsonObject(req: IncomingMessage): Promise<{ raw: Buffer; json: JsonObject }> {
  const raw = await readBody(req, MAX_MPS_JSON_BYTES).catch((err: unknown) => {
    if (err instanceof BodyTooLargeError) throw new MpsError('CONTENT_TOO_LARGE', `the body is larger than ${err.limit} bytes`);
    throw err;
  });
  if (raw.length === 0) return { raw, json: {} };
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new MpsError('INVALID_REQUEST', 'the body is not JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new MpsError('INVALID_REQUEST', 'the body must be a JSON object');
  return { raw, json: json as JsonObject };
}

/** Refuses members the operation does not know, so a typo (e.g. "ammount") is an error and not a default. */
export function onlyKnown(body: JsonObject, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new MpsError('INVALID_REQUEST', `unknown member(s): ${unknown.slice(0, 5).join(', ').slice(0, 200)}`);
}

export function stringMember(body: JsonObject, name: string, required = true): string | undefined {
  const v = body[name];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string') throw new MpsError('INVALID_REQUEST', `${name} must be a string`);
  return v;
}
