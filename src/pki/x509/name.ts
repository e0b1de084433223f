import { DerReader, Tag, type Tlv, bytesEqual, decodeString, rawOf, readOid, toHex, valueOf } from '../der/reader';
import { PkiParseError } from '../errors';
import { ATTRIBUTE_NAMES } from './oids';

/**
 * X.501 Name (RFC 5280 §4.1.2.4) and the comparison rules of RFC 5280 §7.1: names match when they have
 * the same RDNs in the same order; two RDNs match when they hold the same set of attributes; attribute
 * values of the string types compare after case folding and whitespace folding (a simplification of the
 * LDAP StringPrep of RFC 4518 that covers what real CAs emit), whatever string type each side chose.
 * Other values compare as bytes.
 */
export interface AttributeValue {
  readonly tag: number;
  /** The content octets. */
  readonly bytes: Uint8Array;
  /** The decoded text when the tag is a string type and the bytes are valid for it. */
  readonly text: string | undefined;
}

export interface AttributeTypeAndValue {
  readonly type: string;
  readonly value: AttributeValue;
}

export type Rdn = readonly AttributeTypeAndValue[];

export interface Name {
  /** The full DER encoding (tag included), as it appeared. */
  readonly der: Uint8Array;
  readonly rdns: readonly Rdn[];
}

export function parseNameTlv(tlv: Tlv, what: string): Name {
  if (tlv.tag !== Tag.SEQUENCE) throw new PkiParseError(`${what}: Name must be a SEQUENCE`, tlv.start);
  const rdns: Rdn[] = [];
  const outer = DerReader.inside(tlv, what);
  while (!outer.atEnd()) rdns.push(parseRdnTlv(outer.expect(Tag.SET, 'RelativeDistinguishedName'), what));
  return { der: rawOf(tlv), rdns };
}

/** RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue */
export function parseRdnTlv(tlv: Tlv, what: string): Rdn {
  const set = DerReader.inside(tlv, what);
  const atvs: AttributeTypeAndValue[] = [];
  while (!set.atEnd()) {
    const atv = DerReader.inside(set.expect(Tag.SEQUENCE, 'AttributeTypeAndValue'), what);
    const type = readOid(atv.expect(Tag.OID, 'attribute type'), what);
    const valueTlv = atv.next();
    atv.end();
    const bytes = valueOf(valueTlv);
    atvs.push({ type, value: { tag: valueTlv.tag, bytes, text: decodeString(valueTlv.tag, bytes) } });
  }
  if (atvs.length === 0) throw new PkiParseError(`${what}: empty RelativeDistinguishedName`, tlv.start);
  return atvs;
}

/**
 * Case-insensitive, whitespace-folding form of a string attribute value: NFKC, lower case, leading and
 * trailing spaces removed, inner runs of spaces collapsed to one (RFC 4518 §2.6.1 "insignificant space").
 */
export function foldString(s: string): string {
  return s
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .replace(/[\s\u00a0]+/g, ' ')
    .trim();
}

function valuesMatch(a: AttributeValue, b: AttributeValue): boolean {
  if (a.text !== undefined && b.text !== undefined) return foldString(a.text) === foldString(b.text);
  return a.tag === b.tag && bytesEqual(a.bytes, b.bytes);
}

export function rdnsMatch(a: Rdn, b: Rdn): boolean {
  if (a.length !== b.length) return false;
  // Multi-valued RDNs are sets: each attribute of `a` must pair with a distinct attribute of `b`.
  const used = new Array<boolean>(b.length).fill(false);
  for (const x of a) {
    let found = false;
    for (let j = 0; j < b.length; j++) {
      const y = b[j] as AttributeTypeAndValue;
      if (!used[j] && x.type === y.type && valuesMatch(x.value, y.value)) {
        used[j] = true;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

export function namesMatch(a: Name, b: Name): boolean {
  if (a.rdns.length !== b.rdns.length) return false;
  for (let i = 0; i < a.rdns.length; i++) if (!rdnsMatch(a.rdns[i] as Rdn, b.rdns[i] as Rdn)) return false;
  return true;
}

/** RFC 5280 §4.2.1.10: `name` is within the directoryName subtree `base` when `base` is a prefix of it. */
export function nameWithinSubtree(name: Name, base: Name): boolean {
  if (base.rdns.length > name.rdns.length) return false;
  for (let i = 0; i < base.rdns.length; i++) if (!rdnsMatch(base.rdns[i] as Rdn, name.rdns[i] as Rdn)) return false;
  return true;
}

export function isEmptyName(name: Name): boolean {
  return name.rdns.length === 0;
}

/** Values of one attribute type anywhere in the name (for the legacy emailAddress attribute). */
export function attributeTexts(name: Name, type: string): Array<string | undefined> {
  const out: Array<string | undefined> = [];
  for (const rdn of name.rdns) for (const atv of rdn) if (atv.type === type) out.push(atv.value.text);
  return out;
}

/** "C=US, O=Test Certificates 2011, CN=Trust Anchor": for messages and logs only. */
export function nameToString(name: Name): string {
  return name.rdns
    .map((rdn) =>
      rdn
        .map((atv) => {
          const label = ATTRIBUTE_NAMES[atv.type] ?? atv.type;
          const value = atv.value.text ?? `#${toHex(atv.value.bytes)}`;
          return `${label}=${value}`;
        })
        .join('+'),
    )
    .join(', ');
}
