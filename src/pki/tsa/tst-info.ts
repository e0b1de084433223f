import { DerReader, Tag, type Tlv, ctx, ctxCons, integerContent, rawOf, readBigInt, readBoolean, readCount, readOid, valueOf } from '../der/reader';
import { PkiParseError } from '../errors';
import { type AlgorithmIdentifier, parseAlgorithmIdentifierTlv } from '../x509/algorithm';
import { type Extension, parseExtensionsTlv } from '../x509/extensions';
import { type GeneralName, parseGeneralNameTlv } from '../x509/general-name';
import { explicit, generalizedTime, integer, integerContent as encodeIntegerContent, integerFromContent, oid, sequence, tlv } from '../cms/der-writer';

/**
 * RFC 3161 §2.4.2 TSTInfo:
 *   SEQUENCE { version INTEGER (1), policy OID, messageImprint, serialNumber INTEGER, genTime GeneralizedTime,
 *              accuracy Accuracy OPTIONAL, ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL,
 *              tsa [0] GeneralName OPTIONAL, extensions [1] IMPLICIT Extensions OPTIONAL }
 *   Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL, micros [1] INTEGER (1..999) OPTIONAL }
 */
export interface Accuracy {
  readonly seconds?: number;
  readonly millis?: number;
  readonly micros?: number;
}

/** Accuracy values RFC 3161 allows: whole seconds ≥ 0, millis and micros 1..999 when present, not all zero. */
export function accuracyProblem(a: Accuracy): string | undefined {
  const { seconds, millis, micros } = a;
  if (seconds !== undefined && (!Number.isSafeInteger(seconds) || seconds < 0)) return 'accuracy.seconds must be a whole number ≥ 0';
  for (const [name, v] of [['millis', millis], ['micros', micros]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 999)) return `accuracy.${name} must be 1..999`;
  }
  if (!seconds && !millis && !micros) return 'accuracy must not be zero';
  return undefined;
}

/** Whether genTime should carry milliseconds: only when the accuracy claims better than a second (§2.4.2 genTime note). */
export const accuracyBelowOneSecond = (a: Accuracy | undefined): boolean => a !== undefined && !a.seconds && (a.millis !== undefined || a.micros !== undefined);

export interface TstInfoInput {
  readonly policy: string;
  /** The request's messageImprint, complete DER, copied as is. */
  readonly messageImprint: Uint8Array;
  readonly serialNumber: bigint;
  readonly genTime: Date;
  readonly accuracy?: Accuracy;
  /** INTEGER content octets of the request's nonce. */
  readonly nonce?: Uint8Array;
  /** The TSA's name (its certificate subject, DER) for the tsa field. */
  readonly tsaName?: Uint8Array;
}

export function encodeAccuracy(a: Accuracy): Buffer {
  const parts: Buffer[] = [];
  if (a.seconds) parts.push(integer(a.seconds));
  if (a.millis !== undefined) parts.push(tlv(0x80, encodeIntegerContent(BigInt(a.millis))));
  if (a.micros !== undefined) parts.push(tlv(0x81, encodeIntegerContent(BigInt(a.micros))));
  return sequence(...parts);
}

export function encodeTstInfo(input: TstInfoInput): Buffer {
  if (input.serialNumber <= 0n) throw new RangeError('serialNumber must be positive');
  const parts: Buffer[] = [
    integer(1),
    oid(input.policy),
    Buffer.from(input.messageImprint),
    integer(input.serialNumber),
    generalizedTime(input.genTime, accuracyBelowOneSecond(input.accuracy) ? 3 : 0),
  ];
  if (input.accuracy !== undefined) parts.push(encodeAccuracy(input.accuracy));
  // ordering FALSE is the DEFAULT and so is left out (X.690 §11.5).
  if (input.nonce !== undefined) parts.push(integerFromContent(input.nonce));
  // tsa [0] GeneralName: explicit, GeneralName being a CHOICE; directoryName [4] is explicit for the same reason.
  if (input.tsaName !== undefined) parts.push(explicit(0, explicit(4, input.tsaName)));
  return sequence(...parts);
}

export interface TstInfo {
  readonly policy: string;
  readonly hashAlgorithm: AlgorithmIdentifier;
  readonly hashedMessage: Uint8Array;
  readonly messageImprint: Uint8Array;
  readonly serialNumber: bigint;
  readonly genTime: Date;
  /** genTime as written, for showing fractions below a millisecond. */
  readonly genTimeText: string;
  readonly accuracy: Accuracy | undefined;
  readonly ordering: boolean;
  readonly nonce: Uint8Array | undefined;
  readonly tsa: GeneralName | undefined;
  readonly extensions: readonly Extension[];
}

/** GeneralizedTime as DER allows in genTime: YYYYMMDDHHMMSS[.fff…]Z, the fraction without trailing zeros. */
function readGenTime(tlv: Tlv): { date: Date; text: string } {
  if (tlv.tag !== Tag.GeneralizedTime) throw new PkiParseError('genTime: expected GeneralizedTime', tlv.start);
  const text = Buffer.from(valueOf(tlv)).toString('latin1');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/.exec(text);
  if (!m) throw new PkiParseError('genTime: not YYYYMMDDHHMMSS[.fraction]Z in DER form', tlv.start);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new PkiParseError('genTime: out of range', tlv.start);
  }
  return { date, text };
}

function readSmall(tlv: Tlv, what: string, min: number, max: number): number {
  const n = readBigInt(tlv, what);
  if (n < BigInt(min) || n > BigInt(max)) throw new PkiParseError(`${what}: out of range`, tlv.start);
  return Number(n);
}

function readAccuracy(tlv: Tlv): Accuracy {
  const r = DerReader.inside(tlv, 'accuracy');
  const secondsTlv = r.optional(Tag.INTEGER);
  const millisTlv = r.optional(ctx(0));
  const microsTlv = r.optional(ctx(1));
  r.end();
  return {
    ...(secondsTlv ? { seconds: readSmall(secondsTlv, 'accuracy seconds', 0, Number.MAX_SAFE_INTEGER) } : {}),
    ...(millisTlv ? { millis: readSmall(millisTlv, 'accuracy millis', 1, 999) } : {}),
    ...(microsTlv ? { micros: readSmall(microsTlv, 'accuracy micros', 1, 999) } : {}),
  };
}

/** Parses TSTInfo DER; throws PkiParseError. */
export function parseTstInfo(der: Uint8Array): TstInfo {
  const what = 'TSTInfo';
  const root = DerReader.single(der, what);
  if (root.tag !== Tag.SEQUENCE) throw new PkiParseError(`${what}: expected a SEQUENCE`, 0);
  const r = DerReader.inside(root, what);
  if (readCount(r.expect(Tag.INTEGER, 'version'), 'version') !== 1) throw new PkiParseError(`${what}: version must be 1`, 0);
  const policy = readOid(r.expect(Tag.OID, 'policy'), 'policy');
  const imprintTlv = r.expect(Tag.SEQUENCE, 'messageImprint');
  const mi = DerReader.inside(imprintTlv, 'messageImprint');
  const hashAlgorithm = parseAlgorithmIdentifierTlv(mi.expect(Tag.SEQUENCE, 'hashAlgorithm'), 'messageImprint');
  const hashedMessage = valueOf(mi.expect(Tag.OCTET_STRING, 'hashedMessage'));
  mi.end();
  const serialNumber = readBigInt(r.expect(Tag.INTEGER, 'serialNumber'), 'serialNumber');
  if (serialNumber <= 0n) throw new PkiParseError(`${what}: serialNumber must be positive`, 0);
  const genTime = readGenTime(r.expect(Tag.GeneralizedTime, 'genTime'));
  const accuracyTlv = r.optional(Tag.SEQUENCE);
  const orderingTlv = r.optional(Tag.BOOLEAN);
  const nonceTlv = r.optional(Tag.INTEGER);
  const tsaTlv = r.optional(ctxCons(0));
  const extTlv = r.optional(ctxCons(1));
  r.end();
  let tsa: GeneralName | undefined;
  if (tsaTlv) {
    const tr = DerReader.inside(tsaTlv, 'tsa');
    tsa = parseGeneralNameTlv(tr.next(), 'tsa');
    tr.end();
  }
  return {
    policy,
    hashAlgorithm,
    hashedMessage,
    messageImprint: rawOf(imprintTlv),
    serialNumber,
    genTime: genTime.date,
    genTimeText: genTime.text,
    accuracy: accuracyTlv ? readAccuracy(accuracyTlv) : undefined,
    ordering: orderingTlv ? readBoolean(orderingTlv, 'ordering') : false,
    nonce: nonceTlv ? integerContent(nonceTlv, 'nonce') : undefined,
    tsa,
    extensions: extTlv ? parseExtensionsTlv(extTlv, 'extensions') : [],
  };
}
