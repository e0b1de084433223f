import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TimeStampAuthority, TsaReply } from '../pki';
import { BodyTooLargeError, readBody } from './body';
import type { Route } from './http-server';

/**
 * RFC 3161 §3.4 over HTTP: POST a DER TimeStampReq as application/timestamp-query, get a DER TimeStampResp
 * as application/timestamp-reply. Whatever the client sends, a TSP client gets a TimeStampResp (HTTP 200):
 * a wrong content type or an oversized body is a rejection with failInfo badRequest, bad DER one with
 * badDataFormat; every rejection is logged by the TSA.
 */
export interface TsaRouteOptions {
  readonly tsa: Pick<TimeStampAuthority, 'respond' | 'reject'>;
  /** Default '/tsa'. */
  readonly path?: string;
  /** Largest body read, in bytes. Default 8 KiB (a real query is about 100 bytes). */
  readonly maxBodyBytes?: number;
}

const QUERY_TYPE = 'application/timestamp-query';
const REPLY_TYPE = 'application/timestamp-reply';

function send(res: ServerResponse, reply: TsaReply): void {
  res.writeHead(200, { 'content-type': REPLY_TYPE, 'content-length': reply.der.length, 'cache-control': 'no-store' });
  res.end(reply.der);
}

/** The media type without parameters, lower case ("Application/Timestamp-Query; x=y" → "application/timestamp-query"). */
function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function tsaRoute(options: TsaRouteOptions): Route {
  const { tsa } = options;
  const limit = options.maxBodyBytes ?? 8 * 1024;
  return {
    method: 'POST',
    path: options.path ?? '/tsa',
    async handle(req, res) {
      const type = mediaType(req);
      if (type !== QUERY_TYPE) {
        req.resume();
        send(res, tsa.reject('badRequest', `content type must be ${QUERY_TYPE}`, { contentType: type.slice(0, 100) || '(none)' }));
        return;
      }
      let body: Buffer;
      try {
        body = await readBody(req, limit);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          send(res, tsa.reject('badRequest', `the request is larger than ${limit} bytes`));
          return;
        }
        // The client went away mid-body: nobody to answer.
        res.destroy();
        return;
      }
      send(res, await tsa.respond(body));
    },
  };
}
