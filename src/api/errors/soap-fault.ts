import { toWireError } from './wire-error';

export const SOAP12_ENVELOPE_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const MSS_NS = 'http://uri.etsi.org/TS102204/v1.1.2#';
export const FICOM_NS = 'http://mss.ficom.fi/TS102204/v1.0.0#';

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

/**
 * The one place an error becomes a SOAP 1.2 fault, as TS 102 204 and the FiCom guideline (Appendix C) lay it out:
 * env:Sender or env:Receiver, the status code as subcode `mss:_NNN`, a FiCom specifier as a nested subcode.
 * SOAP 1.2 over HTTP answers a fault with status 500 (400 would also be allowed for env:Sender; existing
 * ETSI clients expect 500).
 */
export function soapFault(err: unknown, specifier?: number): { httpStatus: 500; body: string; code: number; unexpected: boolean } {
  const wire = toWireError(err, specifier);
  const nested =
    wire.specifier !== undefined
      ? // FiCom's example writes `fi:1014`, which is not a QName (a local name cannot start with a digit) and fails
        // schema validation; the underscore form matches how TS 102 204 writes the status subcode.
        `<env:Subcode><env:Value>fi:_${wire.specifier}</env:Value></env:Subcode>`
      : '';
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<env:Envelope xmlns:env="${SOAP12_ENVELOPE_NS}" xmlns:mss="${MSS_NS}" xmlns:fi="${FICOM_NS}">` +
    `<env:Body><env:Fault>` +
    `<env:Code><env:Value>env:${wire.side}</env:Value>` +
    `<env:Subcode><env:Value>mss:_${wire.code}</env:Value>${nested}</env:Subcode></env:Code>` +
    `<env:Reason><env:Text xml:lang="en">${escapeXml(wire.reason)}</env:Text></env:Reason>` +
    `</env:Fault></env:Body></env:Envelope>`;
  return { httpStatus: 500, body, code: wire.code, unexpected: wire.unexpected };
}

/**
 * A SOAP-level fault without a TS 102 204 status (SOAP 1.2 part 1, 5.4.6): VersionMismatch for an envelope in
 * another namespace, MustUnderstand for a header block we do not process.
 */
export function soapProtocolFault(code: 'VersionMismatch' | 'MustUnderstand', reason: string): { httpStatus: 500; body: string } {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<env:Envelope xmlns:env="${SOAP12_ENVELOPE_NS}">` +
    `<env:Body><env:Fault>` +
    `<env:Code><env:Value>env:${code}</env:Value></env:Code>` +
    `<env:Reason><env:Text xml:lang="en">${escapeXml(reason)}</env:Text></env:Reason>` +
    `</env:Fault></env:Body></env:Envelope>`;
  return { httpStatus: 500, body };
}
