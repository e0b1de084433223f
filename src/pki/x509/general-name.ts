import { DerReader, Tag, type Tlv, bytesEqual, rawOf, readIa5, readOid, toHex, valueOf } from '../der/reader';
import { PkiParseError } from '../errors';
import { type Name, nameToString, namesMatch, parseNameTlv } from './name';

/**
 * GeneralName (RFC 5280 §4.2.1.6). The forms path validation understands are decoded; the others keep
 * their encoding so that they can be compared, and so that a name constraint on them can be refused
 * rather than silently ignored.
 */
export type GeneralName =
  | { readonly kind: 'otherName'; readonly der: Uint8Array }
  | { readonly kind: 'rfc822Name'; readonly value: string }
  | { readonly kind: 'dNSName'; readonly value: string }
  | { readonly kind: 'x400Address'; readonly der: Uint8Array }
  | { readonly kind: 'directoryName'; readonly name: Name }
  | { readonly kind: 'ediPartyName'; readonly der: Uint8Array }
  | { readonly kind: 'uniformResourceIdentifier'; readonly value: string }
  | { readonly kind: 'iPAddress'; readonly bytes: Uint8Array }
  | { readonly kind: 'registeredID'; readonly oid: string };

export type GeneralNameKind = GeneralName['kind'];

export function parseGeneralNameTlv(tlv: Tlv, what: string): GeneralName {
  switch (tlv.tag) {
    case 0xa0:
      return { kind: 'otherName', der: rawOf(tlv) };
    case 0x81:
      return { kind: 'rfc822Name', value: readIa5(tlv, what) };
    case 0x82:
      return { kind: 'dNSName', value: readIa5(tlv, what) };
    case 0xa3:
      return { kind: 'x400Address', der: rawOf(tlv) };
    case 0xa4: {
      // directoryName is EXPLICIT because Name is a CHOICE.
      const inner = DerReader.inside(tlv, what);
      const name = parseNameTlv(inner.expect(Tag.SEQUENCE, 'directoryName'), what);
      inner.end();
      return { kind: 'directoryName', name };
    }
    case 0xa5:
      return { kind: 'ediPartyName', der: rawOf(tlv) };
    case 0x86:
      return { kind: 'uniformResourceIdentifier', value: readIa5(tlv, what) };
    case 0x87:
      return { kind: 'iPAddress', bytes: valueOf(tlv) };
    case 0x88:
      return { kind: 'registeredID', oid: readOid({ ...tlv, tag: Tag.OID }, what) };
    default:
      throw new PkiParseError(`${what}: unknown GeneralName tag 0x${tlv.tag.toString(16)}`, tlv.start);
  }
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName, given the reader over its contents. */
export function parseGeneralNamesContent(reader: DerReader, what: string, at: number): GeneralName[] {
  const names: GeneralName[] = [];
  while (!reader.atEnd()) names.push(parseGeneralNameTlv(reader.next(), what));
  if (names.length === 0) throw new PkiParseError(`${what}: empty GeneralNames`, at);
  return names;
}

export function parseGeneralNamesTlv(tlv: Tlv, what: string): GeneralName[] {
  return parseGeneralNamesContent(DerReader.inside(tlv, what), what, tlv.start);
}

/**
 * Equality used for distribution point names and CRL issuers (RFC 5280 §6.3.3 b): directory names by the
 * §7.1 rules, host-like names case-insensitively, everything else byte for byte.
 */
export function generalNamesEqual(a: GeneralName, b: GeneralName): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'directoryName':
      return namesMatch(a.name, (b as typeof a).name);
    case 'rfc822Name':
    case 'dNSName':
      return a.value.toLowerCase() === (b as typeof a).value.toLowerCase();
    case 'uniformResourceIdentifier':
      return a.value === (b as typeof a).value;
    case 'iPAddress':
      return bytesEqual(a.bytes, (b as typeof a).bytes);
    case 'registeredID':
      return a.oid === (b as typeof a).oid;
    default:
      return bytesEqual(a.der, (b as typeof a).der);
  }
}

export function generalNameToString(g: GeneralName): string {
  switch (g.kind) {
    case 'directoryName':
      return `DirName:${nameToString(g.name)}`;
    case 'rfc822Name':
      return `email:${g.value}`;
    case 'dNSName':
      return `DNS:${g.value}`;
    case 'uniformResourceIdentifier':
      return `URI:${g.value}`;
    case 'iPAddress':
      return `IP:${toHex(g.bytes)}`;
    case 'registeredID':
      return `RID:${g.oid}`;
    default:
      return `${g.kind}:${toHex(g.der)}`;
  }
}
