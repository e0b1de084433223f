import { DerReader, Tag, type Tlv, rawOf, readOctetAlignedBits, readOid } from '../der/reader';
import { PkiParseError } from '../errors';

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
export interface AlgorithmIdentifier {
  readonly oid: string;
  /** The full encoding of the parameters (tag included), or undefined when absent. */
  readonly parameters: Uint8Array | undefined;
  /** The full encoding of the AlgorithmIdentifier, for the "same algorithm" comparison of RFC 5280 §4.1.1.2. */
  readonly der: Uint8Array;
}

export function parseAlgorithmIdentifierTlv(tlv: Tlv, what: string): AlgorithmIdentifier {
  if (tlv.tag !== Tag.SEQUENCE) throw new PkiParseError(`${what}: AlgorithmIdentifier must be a SEQUENCE`, tlv.start);
  const r = DerReader.inside(tlv, what);
  const oid = readOid(r.expect(Tag.OID, 'algorithm'), what);
  const params = r.atEnd() ? undefined : rawOf(r.next());
  r.end();
  return { oid, parameters: params, der: rawOf(tlv) };
}

/** SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING } */
export interface SubjectPublicKeyInfo {
  readonly der: Uint8Array;
  readonly algorithm: AlgorithmIdentifier;
  /** The subjectPublicKey bits (whole octets). */
  readonly publicKey: Uint8Array;
}

export function parseSpkiTlv(tlv: Tlv, what: string): SubjectPublicKeyInfo {
  if (tlv.tag !== Tag.SEQUENCE) throw new PkiParseError(`${what}: SubjectPublicKeyInfo must be a SEQUENCE`, tlv.start);
  const r = DerReader.inside(tlv, what);
  const algorithm = parseAlgorithmIdentifierTlv(r.expect(Tag.SEQUENCE, 'algorithm'), what);
  const publicKey = readOctetAlignedBits(r.expect(Tag.BIT_STRING, 'subjectPublicKey'), what);
  r.end();
  return { der: rawOf(tlv), algorithm, publicKey };
}

/** Parses a DER SubjectPublicKeyInfo on its own (for keys handed to the verifier directly). */
export function parseSpki(der: Uint8Array): SubjectPublicKeyInfo {
  return parseSpkiTlv(DerReader.single(der, 'SubjectPublicKeyInfo'), 'SubjectPublicKeyInfo');
}

/** AlgorithmIdentifier parameters are "absent or NULL" for many algorithms; this says which. */
export function parametersAbsentOrNull(alg: AlgorithmIdentifier): boolean {
  const p = alg.parameters;
  return p === undefined || (p.length === 2 && p[0] === Tag.NULL && p[1] === 0);
}
