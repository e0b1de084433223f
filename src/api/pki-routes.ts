import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OcspReply } from '../pki';
import { BodyTooLargeError, readBody } from './body';
import type { Route } from './http-server';

/**
 * Publication over HTTP (RFC 5019 §5 recommends plain HTTP; every object served here is signed):
 *   POST /ocsp            application/ocsp-request → application/ocsp-response (RFC 6960 Appendix A.1)
 *   GET  /ocsp/{base64}   the URL-encoded base64 of the DER request, cacheable per RFC 5019 §6
 *   GET  /crl/{ca}.crl    the CA's newest full CRL, application/pkix-crl (RFC 2585 §3)
 *   GET  /ca/{ca}.cer     the CA certificate (authorityInfoAccess caIssuers), application/pkix-cert
 * Whatever an OCSP client sends gets an OCSPResponse with HTTP 200 (RFC 6960 §2.3 puts the error in the
 * response: malformedRequest for garbage, a wrong content type or an oversized body).
 */
export interface PkiRoutesOptions {
  readonly responder: { respond(der: Uint8Array): Promise<OcspReply>; malformed(): OcspReply };
  /** The newest CRL of a CA by name. */
  readonly crl: (ca: string) => { readonly der: Buffer; readonly thisUpdate: Date; readonly nextUpdate: Date } | undefined;
  readonly caCertificate: (ca: string) => Buffer | undefined;
  /** Largest OCSP request body read, in bytes. Default 8 KiB. */
  readonly maxBodyBytes?: number;
}

const OCSP_REQUEST = 'application/ocsp-request';
const OCSP_RESPONSE = 'application/ocsp-response';

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function sendOcsp(res: ServerResponse, reply: OcspReply, cacheHeaders: boolean): void {
  const headers: Record<string, string | number> = { 'content-type': OCSP_RESPONSE, 'content-length': reply.der.length };
  if (cacheHeaders && reply.cacheable !== undefined) {
    // RFC 5019 §6.2: let HTTP caches keep the response until nextUpdate (and no longer).
    const { thisUpdate, nextUpdate, etag } = reply.cacheable;
    const maxAge = Math.max(0, Math.floor((nextUpdate.getTime() - Date.now()) / 1000));
    headers['cache-control'] = `max-age=${maxAge}, public, no-transform, must-revalidate`;
    headers['last-modified'] = thisUpdate.toUTCString();
    headers.expires = nextUpdate.toUTCString();
    headers.etag = etag;
  } else {
    headers['cache-control'] = 'no-cache, no-store';
  }
  res.writeHead(200, headers);
  res.end(reply.der);
}

/** The DER request in a GET path: percent-decoded base64 (RFC 6960 A.1), or its URL-safe variant. */
function decodeGetPath(path: string, prefix: string): Buffer | undefined {
  let text: string;
  try {
    text = decodeURIComponent(path.slice(prefix.length));
  } catch {
    return undefined;
  }
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  if (b64.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || (b64.includes('=') && b64.length % 4 !== 0)) return undefined;
  return Buffer.from(b64, 'base64');
}

function sendDer(res: ServerResponse, req: IncomingMessage, type: string, der: Buffer, validity?: { thisUpdate: Date; nextUpdate: Date }): void {
  const headers: Record<string, string | number> = { 'content-type': type, 'content-length': der.length };
  if (validity !== undefined) {
    headers['cache-control'] = `max-age=${Math.max(0, Math.floor((validity.nextUpdate.getTime() - Date.now()) / 1000))}, public, no-transform`;
    headers['last-modified'] = validity.thisUpdate.toUTCString();
    headers.expires = validity.nextUpdate.toUTCString();
  } else {
    headers['cache-control'] = 'max-age=86400, public';
  }
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : der);
}

function notFound(res: ServerResponse): void {
  const body = JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404 });
  res.writeHead(404, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function pkiRoutes(options: PkiRoutesOptions): Route[] {
  const { responder } = options;
  const limit = options.maxBodyBytes ?? 8 * 1024;
  const ocspPost: Route = {
    method: 'POST',
    path: '/ocsp',
    async handle(req, res) {
      if (mediaType(req) !== OCSP_REQUEST) {
        req.resume();
        sendOcsp(res, responder.malformed(), false);
        return;
      }
      let body: Buffer;
      try {
        body = await readBody(req, limit);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          sendOcsp(res, responder.malformed(), false);
          return;
        }
        // The client went away mid-body: nobody to answer.
        res.destroy();
        return;
      }
      sendOcsp(res, await responder.respond(body), false);
    },
  };
  const ocspGet: Route = {
    method: 'GET',
    path: '/ocsp/',
    async handle(req, res) {
      const path = (req.url ?? '').split('?')[0] ?? '';
      // base64 grows the request by a third; the same limit applies to what it decodes to.
      const der = path.length > (limit * 4) / 3 + 64 ? undefined : decodeGetPath(path, '/ocsp/');
      if (der === undefined) {
        sendOcsp(res, responder.malformed(), false);
        return;
      }
      sendOcsp(res, await responder.respond(der), true);
    },
  };
  const published = (prefix: string, suffix: string, handler: (name: string, req: IncomingMessage, res: ServerResponse) => void): Route[] =>
    (['GET', 'HEAD'] as const).map((method) => ({
      method,
      path: prefix,
      handle: async (req: IncomingMessage, res: ServerResponse) => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        const name = path.slice(prefix.length);
        if (!name.endsWith(suffix) || !/^[a-z0-9-]{1,64}$/.test(name.slice(0, -suffix.length))) {
          notFound(res);
          return;
        }
        handler(name.slice(0, -suffix.length), req, res);
      },
    }));
  return [
    ocspPost,
    ocspGet,
    ...published('/crl/', '.crl', (name, req, res) => {
      const crl = options.crl(name);
      if (crl === undefined) notFound(res);
      else sendDer(res, req, 'application/pkix-crl', crl.der, crl);
    }),
    ...published('/ca/', '.cer', (name, req, res) => {
      const der = options.caCertificate(name);
      if (der === undefined) notFound(res);
      else sendDer(res, req, 'application/pkix-cert', der);
    }),
  ];
}
