import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../log';
import type { CallerInfo } from '../../mss/aps/authenticate';
import { readRequest, type ReadLimits } from '../../mss/messages/read';
import { OPERATION_OF_REQUEST, type MssRequest, type MssResponse } from '../../mss/messages/types';
import { MssFault } from '../../mss/status';
import { BodyTooLargeError, readBody } from '../body';
import { soapFault, soapProtocolFault } from '../errors/soap-fault';
import type { Route } from '../http-server';
import { SoapProtocolFault, readSoapRequest } from './envelope';
import { DEFAULT_XML_LIMITS, type XmlLimits } from './safe-xml';
import { soapEnvelope } from './serialize';
import { loadWsdlDocuments } from './wsdl';

/** What the SOAP binding needs from the service (MssService fits). */
export interface MssHandler {
  handle(request: MssRequest, caller: CallerInfo): Promise<MssResponse>;
}

export interface SoapRouteOptions {
  readonly service: MssHandler;
  readonly logger: Logger;
  /** Where APs reach us, for the WSDL's addresses (the listener URL unless a proxy fronts it). */
  readonly publicUrl: () => string;
  readonly xmlLimits?: XmlLimits;
  readonly readLimits?: ReadLimits;
}

export const SOAP_BASE_PATH = '/soap/services/';
const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

function send(res: ServerResponse, status: number, body: string | Buffer, contentType: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

export function callerOf(req: IncomingMessage): CallerInfo {
  const socket = req.socket as Partial<TLSSocket> & IncomingMessage['socket'];
  const cert = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
  const fingerprint = cert && 'fingerprint256' in cert && typeof cert.fingerprint256 === 'string' ? cert.fingerprint256.replace(/:/g, '').toLowerCase() : undefined;
  return { remoteAddress: socket.remoteAddress ?? '', ...(fingerprint ? { clientCertFingerprint: fingerprint } : {}) };
}

/**
 * The SOAP 1.2 binding of TS 102 204: POST anything under /soap/services/ (Kiuru clients post to one URL per
 * port), GET …?wsdl for the WSDL with our address, GET /soap/services/schema/… for the schemas it imports.
 */
export function soapRoutes(options: SoapRouteOptions): Route[] {
  const { logger } = options;
  const docs = loadWsdlDocuments();
  const xmlLimits = options.xmlLimits ?? DEFAULT_XML_LIMITS;

  const post: Route = {
    method: 'POST',
    path: SOAP_BASE_PATH,
    async handle(req, res) {
      const caller = callerOf(req);
      let kind: string | undefined;
      try {
        const body = await readBody(req, xmlLimits.maxBytes).catch((err: unknown) => {
          if (err instanceof BodyTooLargeError) throw new MssFault(101, `request larger than ${err.limit} bytes`);
          throw err;
        });
        const soap = readSoapRequest(body, xmlLimits);
        kind = soap.kind;
        const request = readRequest(soap.kind, soap.message, options.readLimits);
        const response = await options.service.handle(request, caller);
        send(res, 200, soapEnvelope(`${OPERATION_OF_REQUEST[request.kind]}Response`, response), SOAP_CONTENT_TYPE);
      } catch (err) {
        if (err instanceof SoapProtocolFault) {
          logger.info({ fault: err.code, reason: err.reason, remote: caller.remoteAddress }, 'SOAP request refused');
          const fault = soapProtocolFault(err.code, err.reason);
          send(res, fault.httpStatus, fault.body, SOAP_CONTENT_TYPE);
          return;
        }
        const fault = soapFault(err);
        if (fault.unexpected) logger.error({ err, kind, remote: caller.remoteAddress }, 'SOAP request failed');
        else logger.info({ status: fault.code, detail: err instanceof MssFault ? err.detail : undefined, kind, remote: caller.remoteAddress }, 'SOAP request answered with a fault');
        if (!res.headersSent) send(res, fault.httpStatus, fault.body, SOAP_CONTENT_TYPE);
      }
    },
  };

  const get: Route = {
    method: 'GET',
    path: SOAP_BASE_PATH,
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://x');
      const rest = url.pathname.slice(SOAP_BASE_PATH.length);
      if (url.searchParams.has('wsdl')) {
        send(res, 200, docs.wsdl(`${options.publicUrl()}${SOAP_BASE_PATH}${rest.startsWith('schema/') ? '' : rest}`), 'text/xml; charset=utf-8');
        return;
      }
      const file = docs.schema(rest);
      if (file) send(res, 200, file, 'text/xml; charset=utf-8');
      else send(res, 404, JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404 }), 'application/problem+json');
      await Promise.resolve();
    },
  };
  return [post, get];
}
