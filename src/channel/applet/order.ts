import { AppletError } from './errors';
import { CERTIFICATE_REF_KINDS, MAX_SIGNATURE_OCTETS } from './response';
import { SIGNATURE_FORMATS } from './request';
import { decodeMessage, encodeMessage, type Field } from './tlv';

/**
 * The client order, format v1 type '03' (FORMAT.md, "Client order"): the one message the SIM sends without
 * being asked. The client composed a payment on the phone; the applet signed the order's bytes with the
 * signing key after the PIN and sends them, with the signature, as the secured data of an MO command packet.
 * The order's bytes are the payment system's business (src/mps reads them); this codec only frames them.
 */

export const MAX_ORDER_MESSAGE_OCTETS = 3584;
export const MAX_ORDER_OCTETS = 1024;

export const ORDER_TAG = {
  orderRef: 0x01,
  signature: 0x0b,
  certificateRef: 0x0c,
  order: 0x0d,
} as const;

/** Chosen by the phone, unique per SIM: the order's idempotency key. Printable so it can be logged as is. */
const ORDER_REF = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export interface ClientOrder {
  /** ASCII, 1–64 characters of A–Z a–z 0–9 . _ : - (not starting with punctuation). */
  readonly orderRef: string;
  /** The signed order bytes, 1–1024 octets. */
  readonly order: Uint8Array;
  /** CMS SignedData over `order` (format 'cms' only: the platform checks it with the certificate on record). */
  readonly signature: Uint8Array;
  /** SHA-256 of the signer certificate (DER). */
  readonly certificateRef: Uint8Array;
}

const KNOWN_TAGS = new Set<number>(Object.values(ORDER_TAG));

function check(o: ClientOrder): void {
  if (typeof o.orderRef !== 'string' || !ORDER_REF.test(o.orderRef)) throw new AppletError('BAD_VALUE', { field: 'orderRef' });
  if (o.order.length < 1 || o.order.length > MAX_ORDER_OCTETS) throw new AppletError('BAD_VALUE', { field: 'order', length: o.order.length });
  if (o.signature.length < 1 || o.signature.length > MAX_SIGNATURE_OCTETS) throw new AppletError('BAD_VALUE', { field: 'signature', length: o.signature.length });
  if (o.certificateRef.length !== CERTIFICATE_REF_KINDS['sha-256'].length) throw new AppletError('BAD_VALUE', { field: 'certificateRef', length: o.certificateRef.length });
}

export function encodeClientOrder(o: ClientOrder): Buffer {
  check(o);
  const fields: Field[] = [
    { tag: ORDER_TAG.orderRef, value: Buffer.from(o.orderRef, 'ascii') },
    { tag: ORDER_TAG.signature, value: Buffer.concat([Buffer.from([SIGNATURE_FORMATS.cms]), o.signature]) },
    { tag: ORDER_TAG.certificateRef, value: Buffer.concat([Buffer.from([CERTIFICATE_REF_KINDS['sha-256'].code]), o.certificateRef]) },
    { tag: ORDER_TAG.order, value: Buffer.from(o.order) },
  ];
  return encodeMessage('order', fields, MAX_ORDER_MESSAGE_OCTETS);
}

export function decodeClientOrder(bytes: Uint8Array): ClientOrder {
  const fields = decodeMessage(bytes, 'order', KNOWN_TAGS, MAX_ORDER_MESSAGE_OCTETS);
  const get = (tag: number, field: string): Buffer => {
    const v = fields.get(tag);
    if (v === undefined) throw new AppletError('MISSING_FIELD', { field });
    return v;
  };
  const ref = get(ORDER_TAG.orderRef, 'orderRef');
  const sig = get(ORDER_TAG.signature, 'signature');
  const cert = get(ORDER_TAG.certificateRef, 'certificateRef');
  const order = get(ORDER_TAG.order, 'order');
  if (sig[0] !== SIGNATURE_FORMATS.cms) throw new AppletError('BAD_VALUE', { field: 'signatureFormat' });
  if (cert[0] !== CERTIFICATE_REF_KINDS['sha-256'].code) throw new AppletError('BAD_VALUE', { field: 'certificateRef kind' });
  const orderRef = ref.toString('latin1');
  const decoded: ClientOrder = { orderRef, order, signature: sig.subarray(1), certificateRef: cert.subarray(1) };
  check(decoded);
  return decoded;
}
