import { AppletError } from './errors';
import { LIMITS, SIGNATURE_FORMATS, type AppletRequest, type SignatureFormat } from './request';
import { decodeMessage, encodeMessage, type Field } from './tlv';

/**
 * The signature applet's response, format v1 (FORMAT.md). It travels as the additional data of the PoR that
 * answers the request's command packet (or of the SMS-SUBMIT PoR after status '0B').
 */

export const MAX_RESPONSE_OCTETS = 3584;
export const MAX_SIGNATURE_OCTETS = 3072;

export const RESPONSE_TAG = {
  transactionRef: 0x01,
  outcome: 0x0a,
  signature: 0x0b,
  certificateRef: 0x0c,
} as const;

/**
 * What happened on the SIM. 'displayed' answers show-receipt (the citizen saw and confirmed it; nothing is
 * signed); the others are the brief's outcome list. mss/ maps them to TS 102 204 codes (401 USER_CANCEL,
 * 402 PIN_NR_BLOCKED, 403 CARD_BLOCKED, 404 NO_KEY_FOUND, 208 EXPIRED_TRANSACTION).
 */
export const OUTCOMES = {
  signed: 0x00,
  'user-cancelled': 0x01,
  'pin-blocked': 0x02,
  'card-blocked': 0x03,
  'no-key': 0x04,
  timeout: 0x05,
  displayed: 0x06,
} as const;
export type Outcome = keyof typeof OUTCOMES;

/** Certificate reference kinds; v1 has one: the SHA-256 of the signer certificate's DER encoding. */
export const CERTIFICATE_REF_KINDS = { 'sha-256': { code: 0x01, length: 32 } } as const;

export type AppletResponse =
  | {
      readonly transactionRef: Uint8Array;
      readonly outcome: 'signed';
      readonly signature: { readonly format: SignatureFormat; readonly value: Uint8Array };
      /** SHA-256 of the signer certificate (DER), 32 octets: tells pki/ which certificate to verify with. */
      readonly certificateRef: Uint8Array;
    }
  | { readonly transactionRef: Uint8Array; readonly outcome: Exclude<Outcome, 'signed'> };

const KNOWN_TAGS = new Set<number>(Object.values(RESPONSE_TAG));

function checkRef(ref: Uint8Array): void {
  if (ref.length < LIMITS.transactionRef.min || ref.length > LIMITS.transactionRef.max) throw new AppletError('BAD_VALUE', { field: 'transactionRef', length: ref.length });
}

function checkSigned(signature: { readonly value: Uint8Array }, certificateRef: Uint8Array): void {
  if (signature.value.length < 1 || signature.value.length > MAX_SIGNATURE_OCTETS) throw new AppletError('BAD_VALUE', { field: 'signature', length: signature.value.length });
  if (certificateRef.length !== CERTIFICATE_REF_KINDS['sha-256'].length) throw new AppletError('BAD_VALUE', { field: 'certificateRef', length: certificateRef.length });
}

export function encodeResponse(res: AppletResponse): Buffer {
  checkRef(res.transactionRef);
  const fields: Field[] = [
    { tag: RESPONSE_TAG.transactionRef, value: Buffer.from(res.transactionRef) },
    { tag: RESPONSE_TAG.outcome, value: Buffer.from([OUTCOMES[res.outcome]]) },
  ];
  if (res.outcome === 'signed') {
    checkSigned(res.signature, res.certificateRef);
    fields.push(
      { tag: RESPONSE_TAG.signature, value: Buffer.concat([Buffer.from([SIGNATURE_FORMATS[res.signature.format]]), res.signature.value]) },
      { tag: RESPONSE_TAG.certificateRef, value: Buffer.concat([Buffer.from([CERTIFICATE_REF_KINDS['sha-256'].code]), res.certificateRef]) },
    );
  }
  return encodeMessage('response', fields, MAX_RESPONSE_OCTETS);
}

export function decodeResponse(bytes: Uint8Array): AppletResponse {
  const fields = decodeMessage(bytes, 'response', KNOWN_TAGS, MAX_RESPONSE_OCTETS);
  const transactionRef = fields.get(RESPONSE_TAG.transactionRef);
  if (transactionRef === undefined) throw new AppletError('MISSING_FIELD', { field: 'transactionRef' });
  checkRef(transactionRef);
  const o = fields.get(RESPONSE_TAG.outcome);
  if (o === undefined) throw new AppletError('MISSING_FIELD', { field: 'outcome' });
  const outcome = (Object.keys(OUTCOMES) as Outcome[]).find((k) => o.length === 1 && OUTCOMES[k] === o[0]);
  if (outcome === undefined) throw new AppletError('BAD_VALUE', { field: 'outcome' });
  const sig = fields.get(RESPONSE_TAG.signature);
  const cert = fields.get(RESPONSE_TAG.certificateRef);
  if (outcome !== 'signed') {
    if (sig !== undefined || cert !== undefined) throw new AppletError('FORBIDDEN_FIELD', { field: sig !== undefined ? 'signature' : 'certificateRef', outcome });
    return { transactionRef, outcome };
  }
  if (sig === undefined || cert === undefined) throw new AppletError('MISSING_FIELD', { field: sig === undefined ? 'signature' : 'certificateRef' });
  const format = (Object.keys(SIGNATURE_FORMATS) as SignatureFormat[]).find((k) => SIGNATURE_FORMATS[k] === sig[0]);
  if (format === undefined) throw new AppletError('BAD_VALUE', { field: 'signatureFormat' });
  if (cert[0] !== CERTIFICATE_REF_KINDS['sha-256'].code) throw new AppletError('BAD_VALUE', { field: 'certificateRef kind' });
  const signature = { format, value: sig.subarray(1) };
  const certificateRef = cert.subarray(1);
  checkSigned(signature, certificateRef);
  return { transactionRef, outcome, signature, certificateRef };
}

/** Whether `res` can answer `req` (FORMAT.md, "Response: matching the request"); throws MISMATCH if not. */
export function checkResponseMatches(req: AppletRequest, res: AppletResponse): void {
  if (!Buffer.from(req.transactionRef).equals(Buffer.from(res.transactionRef))) throw new AppletError('MISMATCH', { field: 'transactionRef' });
  if (req.operation === 'show-receipt') {
    if (res.outcome === 'signed') throw new AppletError('MISMATCH', { field: 'outcome', outcome: res.outcome });
    return;
  }
  if (res.outcome === 'displayed') throw new AppletError('MISMATCH', { field: 'outcome', outcome: res.outcome });
  if (res.outcome === 'signed' && res.signature.format !== req.signatureFormat) throw new AppletError('MISMATCH', { field: 'signatureFormat' });
}
