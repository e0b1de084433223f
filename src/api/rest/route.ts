import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log';
import { readRequest } from '../../mss/messages/read';
import { OPERATION_OF_REQUEST, REQUEST_KINDS, type RequestKind } from '../../mss/messages/types';
import { MssFault, STATUS_CODES } from '../../mss/status';
import { BodyTooLargeError, readBody } from '../body';
import { problemJson } from '../errors/problem';
import type { Route } from '../http-server';
import { parseXml } from '../soap/safe-xml';
import { messageXml } from '../soap/serialize';
import { callerOf, type MssHandler } from '../soap/route';
import { elementToJson, jsonMessageNode, type Json } from './json-node';
import { openApiDocument } from './openapi';

export const REST_BASE_PATH = '/rest/v1/';
const MAX_JSON_BYTES = 256 * 1024;

export interface RestRouteOptions {
  readonly service: MssHandler;
  readonly logger: Logger;
  readonly publicUrl: () => string;
}

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload), 'cache-control': 'no-store' });
  res.end(payload);
}

const KIND_OF_OPERATION = new Map<string, RequestKind>(REQUEST_KINDS.map((k) => [OPERATION_OF_REQUEST[k], k]));

async function readJson(req: IncomingMessage): Promise<Json> {
  const body = await readBody(req, MAX_JSON_BYTES).catch((err: unknown) => {
    if (err instanceof BodyTooLargeError) throw new MssFault(101, `request larger than ${err.limit} bytes`);
    throw err;
  });
  try {
    return JSON.parse(body.toString('utf8')) as Json;
  } catch {
    throw new MssFault(101, 'the body is not JSON');
  }
}

/**
 * The REST/JSON binding: POST /rest/v1/{MSS_Signature|MSS_StatusQuery|…} with `{"MSS_SignatureReq": {…}}`,
 * answered with `{"MSS_SignatureResp": {…}}` (HTTP 200, or 202 while REQUEST_OK/OUTSTANDING) or problem+json.
 * Same validation, same service, same status table as SOAP.
 */
export function restRoutes(options: RestRouteOptions): Route[] {
  const { logger } = options;
  const post: Route = {
    method: 'POST',
    path: REST_BASE_PATH,
    async handle(req, res) {
      const operation = (req.url ?? '').split('?')[0]?.slice(REST_BASE_PATH.length) ?? '';
      const caller = callerOf(req);
      try {
        const kind = KIND_OF_OPERATION.get(operation);
        if (!kind) throw new MssFault(101, `unknown operation ${operation}`);
        const json = await readJson(req);
        const root = json !== null && typeof json === 'object' && !Array.isArray(json) ? json[kind] : undefined;
        if (root === undefined) throw new MssFault(102, `the body must be {"${kind}": {…}}`);
        const request = readRequest(kind, jsonMessageNode(kind, root));
        const response = await options.service.handle(request, caller);
        // Only a signature still under way (REQUEST_OK, OUTSTANDING_TRANSACTION) is 202; every other answer is final.
        const pending = (response.kind === 'MSS_SignatureResp' || response.kind === 'MSS_StatusResp') && STATUS_CODES[response.status.code].http === 202;
        send(res, pending ? 202 : 200, { [response.kind]: elementToJson(parseXml(messageXml(response))) });
      } catch (err) {
        const problem = problemJson(err);
        if (problem.unexpected) logger.error({ err, operation }, 'REST request failed');
        else logger.info({ status: problem.body.statusCode, detail: err instanceof MssFault ? err.detail : undefined, operation, remote: caller.remoteAddress }, 'REST request answered with a problem');
        send(res, problem.httpStatus, problem.body, 'application/problem+json');
      }
    },
  };
  const openapi: Route = {
    method: 'GET',
    path: `${REST_BASE_PATH}openapi.json`,
    handle(_req, res) {
      send(res, 200, openApiDocument(`${options.publicUrl()}${REST_BASE_PATH.slice(0, -1)}`));
      return Promise.resolve();
    },
  };
  return [openapi, post];
}
