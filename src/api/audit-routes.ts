import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AuditError,
  checkpointToJson,
  consistencyProofToJson,
  inclusionProofToJson,
  isAuditError,
  type AuditLog,
} from '../audit';
import type { Logger } from '../log';
import type { Route } from './http-server';

/**
 * Auditor endpoints (src/audit/README.md "HTTP"): checkpoints, inclusion and consistency proofs, as JSON whose
 * binary values are base64. Bad or out-of-range numbers are 400 problem+json (RFC 9457), an unknown checkpoint
 * 404; nothing a caller sends can make them crash.
 */

export type AuditQueries = Pick<AuditLog, 'latestCheckpoint' | 'checkpointAt' | 'inclusionProof' | 'consistencyProof'>;

export interface AuditRoutesOptions {
  readonly logger?: Logger;
}

const PROBLEM_TYPE = 'https://mssp.invalid/problems/audit/';
const TITLES: Readonly<Record<number, string>> = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };
const DECIMAL = /^(0|[1-9]\d{0,15})$/;

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload), 'cache-control': 'no-store' });
  res.end(payload);
}

/** The one place an audit failure becomes problem+json; details of unexposed errors go only to the log. */
function sendProblem(res: ServerResponse, err: unknown, logger: Logger | undefined): void {
  if (isAuditError(err) && err.expose) {
    send(res, err.httpStatus, { type: `${PROBLEM_TYPE}${err.code.toLowerCase().replace(/_/g, '-')}`, title: TITLES[err.httpStatus] ?? 'Error', status: err.httpStatus, detail: err.message, code: err.code }, 'application/problem+json');
    return;
  }
  logger?.error({ err }, 'audit request failed');
  const status = isAuditError(err) ? err.httpStatus : 500;
  send(res, status, { type: 'about:blank', title: TITLES[status] ?? 'Error', status }, 'application/problem+json');
}

/** A non-negative decimal integer from the query; OUT_OF_RANGE (400) otherwise. */
function integerParam(url: URL, name: string, required: true): number;
function integerParam(url: URL, name: string, required: false): number | undefined;
function integerParam(url: URL, name: string, required: boolean): number | undefined {
  const values = url.searchParams.getAll(name);
  if (values.length === 0) {
    if (required) throw new AuditError('OUT_OF_RANGE', `the query parameter ${name} is required`);
    return undefined;
  }
  const [value] = values;
  if (values.length > 1 || value === undefined || !DECIMAL.test(value)) throw new AuditError('OUT_OF_RANGE', `${name} must be one non-negative decimal integer`);
  return Number(value);
}

function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://audit.invalid');
}

function handler(fn: (url: URL) => Promise<unknown>, logger: Logger | undefined): Route['handle'] {
  return async (req, res) => {
    try {
      send(res, 200, await fn(requestUrl(req)));
    } catch (err) {
      sendProblem(res, err, logger);
    }
  };
}

export function auditRoutes(log: AuditQueries, options: AuditRoutesOptions = {}): Route[] {
  const { logger } = options;
  return [
    {
      method: 'GET',
      path: '/audit/checkpoints/',
      handle: handler(async (url) => {
        const which = url.pathname.slice('/audit/checkpoints/'.length);
        if (which === 'latest') {
          const latest = await log.latestCheckpoint();
          if (latest === undefined) throw new AuditError('NOT_FOUND', 'there is no checkpoint yet');
          return checkpointToJson(latest);
        }
        if (!DECIMAL.test(which)) throw new AuditError('NOT_FOUND', 'checkpoints are at /audit/checkpoints/latest and /audit/checkpoints/<tree size>');
        return checkpointToJson(await log.checkpointAt(Number(which)));
      }, logger),
    },
    {
      method: 'GET',
      path: '/audit/proof/inclusion',
      handle: handler(async (url) => {
        const seq = integerParam(url, 'seq', true);
        const size = integerParam(url, 'size', false);
        return inclusionProofToJson(await log.inclusionProof(seq, size));
      }, logger),
    },
    {
      method: 'GET',
      path: '/audit/proof/consistency',
      handle: handler(async (url) => {
        const first = integerParam(url, 'first', true);
        const second = integerParam(url, 'second', true);
        return consistencyProofToJson(await log.consistencyProof(first, second));
      }, logger),
    },
  ];
}
