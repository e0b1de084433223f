import { MssFault } from '../../mss/status';
import type { MessageNode } from '../../mss/messages/node';
import { REQUEST_KINDS, type RequestKind } from '../../mss/messages/types';
import { MSS_NS, SOAP12_ENVELOPE_NS } from '../errors/soap-fault';
import { DEFAULT_XML_LIMITS, XmlRejectedError, parseXml, type XmlElement, type XmlLimits } from './safe-xml';

const SOAP11_ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';

/** A SOAP-level fault that has no TS 102 204 status code (SOAP 1.2 part 1, 5.4.6). */
export class SoapProtocolFault extends Error {
  override readonly name = 'SoapProtocolFault';
  constructor(
    readonly code: 'VersionMismatch' | 'MustUnderstand',
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
  }
}

/**
 * Adapts a parsed element to the neutral MessageNode; only children in the element's own namespace (TS 102 204's
 * at the top) are seen, and those of another through `extension`.
 */
export function xmlMessageNode(element: XmlElement, ns: string = MSS_NS): MessageNode {
  return {
    name: element.local,
    attribute: (name) => element.attributes.get(name),
    children: (name) => element.children.filter((c) => c.ns === ns && c.local === name).map((c) => xmlMessageNode(c, ns)),
    extension: (namespace, name) => element.children.filter((c) => c.ns === namespace && c.local === name).map((c) => xmlMessageNode(c, namespace)),
    text: () => (element.children.length === 0 ? element.text : undefined),
  };
}

export interface SoapRequest {
  readonly kind: RequestKind;
  readonly message: MessageNode;
}

function isRequestKind(local: string): local is RequestKind {
  return (REQUEST_KINDS as readonly string[]).includes(local);
}

function mustUnderstand(block: XmlElement): boolean {
  const value = block.attributes.get(`{${SOAP12_ENVELOPE_NS}}mustUnderstand`);
  return value === 'true' || value === '1';
}

/**
 * Finds the TS 102 204 request in a SOAP 1.2 envelope. Accepts the rpc/literal layout of the Kiuru WSDL
 * (Body/MSS_Signature/MSS_SignatureReq, wrapper in any namespace) and the bare document layout
 * (Body/MSS_SignatureReq). Malformed or refused XML is 101 WRONG_PARAM; a SOAP 1.1 envelope is VersionMismatch.
 */
export function readSoapRequest(body: Buffer | string, limits: XmlLimits = DEFAULT_XML_LIMITS): SoapRequest {
  let root: XmlElement;
  try {
    root = parseXml(body, limits);
  } catch (err) {
    if (err instanceof XmlRejectedError) throw new MssFault(101, `request refused: ${err.reason}`, true, { cause: err });
    throw err;
  }
  if (root.local !== 'Envelope' || root.ns !== SOAP12_ENVELOPE_NS) {
    if (root.local === 'Envelope' && root.ns === SOAP11_ENVELOPE_NS) throw new SoapProtocolFault('VersionMismatch', 'only SOAP 1.2 envelopes are accepted');
    if (root.local === 'Envelope') throw new SoapProtocolFault('VersionMismatch', 'the envelope is not in the SOAP 1.2 namespace');
    throw new MssFault(101, 'the document is not a SOAP envelope');
  }
  const header = root.children.find((c) => c.ns === SOAP12_ENVELOPE_NS && c.local === 'Header');
  // We process no header block: one the AP marks mustUnderstand must be refused rather than ignored.
  const blocking = header?.children.find(mustUnderstand);
  if (blocking) throw new SoapProtocolFault('MustUnderstand', `header block {${blocking.ns}}${blocking.local} is not understood`);
  const soapBody = root.children.find((c) => c.ns === SOAP12_ENVELOPE_NS && c.local === 'Body');
  if (!soapBody) throw new MssFault(102, 'the envelope has no Body');
  const [first, ...rest] = soapBody.children;
  if (!first) throw new MssFault(102, 'the Body is empty');
  if (rest.length > 0) throw new MssFault(101, 'the Body holds more than one element');

  let request: XmlElement = first;
  if (!isRequestKind(first.local)) {
    const inner = first.children.filter((c) => isRequestKind(c.local));
    if (inner.length !== 1 || first.children.length !== 1) throw new MssFault(101, `unknown operation ${first.local}`);
    request = inner[0] as XmlElement;
  }
  // rpc/literal part accessors are unqualified; the document layout names the MSS namespace. Anything else is
  // another message version or a mistake.
  if (request.ns !== MSS_NS && request.ns !== '') throw new MssFault(101, `${request.local} is not in the namespace ${MSS_NS}`);
  return { kind: request.local as RequestKind, message: xmlMessageNode(request) };
}
