import { DerReader, Tag, ctxCons, integerContent, rawOf, readBoolean, readCount, readOid, valueOf } from '../der/reader';
import { isPkiParseError } from '../errors';
import { type Extension, parseExtensionsTlv } from '../x509/extensions';
import { parseAlgorithmIdentifierTlv } from '../x509/algorithm';
import { type CmsHash, CMS_DIGESTS, digestFromAlgorithm } from '../cms/algorithms';
import { boolean, integerContent as encodeIntegerContent, octetString, oid, sequence, tlv } from '../cms/der-writer';
import { TsaError } from './errors';

/**
 * RFC 3161 §2.4.1 TimeStampReq, read strictly with our DER reader:
 *   SEQUENCE { version INTEGER (1), messageImprint SEQUENCE { hashAlgorithm, hashedMessage OCTET STRING },
 *              reqPolicy OID OPTIONAL, nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE,
 *              extensions [0] IMPLICIT Extensions OPTIONAL }
 * Hashes: SHA-256, SHA-384, SHA-512. SHA-1 is refused with badAlg: a time-stamp proves that data existed,
 * and with SHA-1 chosen-prefix collisions one imprint can stand for two documents.
 */
export interface TimeStampQuery {
  readonly hash: CmsHash;
  /** The messageImprint exactly as received: TSTInfo must carry the same value (§2.4.2). */
  readonly messageImprint: Uint8Array;
  readonly hashedMessage: Uint8Array;
  readonly reqPolicy: string | undefined;
  /** The nonce's INTEGER content octets, echoed byte for byte. */
  readonly nonce: Uint8Array | undefined;
  readonly certReq: boolean;
  /** Non-critical extensions (ignored); a critical one is refused. */
  readonly extensions: readonly Extension[];
}

/** Far above any real query (a SHA-512 query with a nonce and a policy is about 110 bytes). */
export const DEFAULT_MAX_QUERY_BYTES = 4096;
/** A nonce is "a large random number"; 64 octets is far beyond what any client sends. */
export const MAX_NONCE_OCTETS = 64;

const WHAT = 'TimeStampReq';

function structure(body: () => TimeStampQuery): TimeStampQuery {
  try {
    return body();
  } catch (err) {
    if (isPkiParseError(err)) throw new TsaError('badDataFormat', `${WHAT}: ${err.message}`, { cause: err });
    throw err;
  }
}

export function parseTimeStampQuery(der: Uint8Array, maxBytes = DEFAULT_MAX_QUERY_BYTES): TimeStampQuery {
  if (der.length === 0) throw new TsaError('badDataFormat', `${WHAT}: empty request`);
  if (der.length > maxBytes) throw new TsaError('badRequest', `${WHAT}: ${der.length} bytes, more than ${maxBytes}`);
  return structure(() => {
    const root = DerReader.single(der, WHAT);
    if (root.tag !== Tag.SEQUENCE) throw new TsaError('badDataFormat', `${WHAT}: expected a SEQUENCE`);
    const r = DerReader.inside(root, WHAT);
    const version = readCount(r.expect(Tag.INTEGER, 'version'), 'version');
    const imprintTlv = r.expect(Tag.SEQUENCE, 'messageImprint');
    const mi = DerReader.inside(imprintTlv, 'messageImprint');
    const hashAlgorithm = parseAlgorithmIdentifierTlv(mi.expect(Tag.SEQUENCE, 'hashAlgorithm'), 'messageImprint');
    const hashedMessage = valueOf(mi.expect(Tag.OCTET_STRING, 'hashedMessage'));
    mi.end();
    const policyTlv = r.optional(Tag.OID);
    const reqPolicy = policyTlv ? readOid(policyTlv, 'reqPolicy') : undefined;
    const nonceTlv = r.optional(Tag.INTEGER);
    const nonce = nonceTlv ? integerContent(nonceTlv, 'nonce') : undefined;
    const certReqTlv = r.optional(Tag.BOOLEAN);
    // DER leaves a FALSE certReq out (its DEFAULT); an explicit FALSE from a BER client means the same, so it is read, not refused.
    const certReq = certReqTlv ? readBoolean(certReqTlv, 'certReq') : false;
    const extTlv = r.optional(ctxCons(0));
    const extensions = extTlv ? parseExtensionsTlv(extTlv, 'extensions') : [];
    r.end();

    // Well-formed; now what we support.
    if (version !== 1) throw new TsaError('badRequest', `${WHAT}: version ${version} (only v1 exists)`);
    const hash = digestFromAlgorithm(hashAlgorithm);
    if (!hash.ok) throw new TsaError('badAlg', `${WHAT}: ${hash.message}`);
    const expected = CMS_DIGESTS[hash.value].bytes;
    if (hashedMessage.length !== expected) throw new TsaError('badDataFormat', `${WHAT}: a ${hash.value} imprint is ${expected} bytes, not ${hashedMessage.length}`);
    if (nonce !== undefined && nonce.length > MAX_NONCE_OCTETS) throw new TsaError('badDataFormat', `${WHAT}: nonce longer than ${MAX_NONCE_OCTETS} octets`);
    const critical = extensions.find((e) => e.critical);
    if (critical) throw new TsaError('unacceptedExtension', `${WHAT}: critical extension ${critical.oid} is not supported`);
    return { hash: hash.value, messageImprint: rawOf(imprintTlv), hashedMessage, reqPolicy, nonce, certReq, extensions };
  });
}

export interface TimeStampQueryInput {
  readonly hash: CmsHash;
  readonly hashedMessage: Uint8Array;
  readonly reqPolicy?: string;
  readonly nonce?: bigint;
  readonly certReq?: boolean;
}

/** A DER TimeStampReq (for clients of a remote TSA, and for tests). */
export function encodeTimeStampQuery(input: TimeStampQueryInput): Buffer {
  const parts: Buffer[] = [
    tlv(0x02, Buffer.from([1])),
    sequence(sequence(oid(CMS_DIGESTS[input.hash].oid)), octetString(input.hashedMessage)),
  ];
  if (input.reqPolicy !== undefined) parts.push(oid(input.reqPolicy));
  if (input.nonce !== undefined) parts.push(tlv(0x02, encodeIntegerContent(input.nonce)));
  if (input.certReq === true) parts.push(boolean(true));
  return sequence(...parts);
}

