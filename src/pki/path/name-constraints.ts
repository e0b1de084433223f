import type { Certificate } from '../x509/certificate';
import type { GeneralSubtree } from '../x509/extensions';
import { type GeneralName, type GeneralNameKind, generalNameToString } from '../x509/general-name';
import { attributeTexts, isEmptyName, nameWithinSubtree } from '../x509/name';
import { OID } from '../x509/oids';

/**
 * Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)(c), §6.1.4 (g)).
 *
 * permitted_subtrees is kept as the list of every permittedSubtrees seen so far instead of their computed
 * intersection: a name is within the intersection exactly when, for each list that constrains its name
 * form, it is within one subtree of that list. excluded_subtrees is the plain union.
 */
export interface NameConstraintState {
  readonly permitted: ReadonlyArray<readonly GeneralSubtree[]>;
  readonly excluded: readonly GeneralSubtree[];
}

/** Name forms we can decide; a constraint on any other form that meets a name of that form rejects the certificate. */
const SUPPORTED: ReadonlySet<GeneralNameKind> = new Set(['directoryName', 'rfc822Name', 'dNSName', 'uniformResourceIdentifier', 'iPAddress']);

function lower(s: string): string {
  return s.toLowerCase();
}

/** dNSName: the constraint plus zero or more labels on the left; a leading '.' (common practice) means subdomains only. */
export function dnsWithin(name: string, constraint: string): boolean {
  const n = lower(name).replace(/\.$/, '');
  const c = lower(constraint).replace(/\.$/, '');
  if (c === '') return true;
  if (c.startsWith('.')) return n.endsWith(c);
  return n === c || n.endsWith(`.${c}`);
}

/**
 * rfc822Name: a constraint with '@' names one mailbox; one starting with '.' names every host in a domain;
 * otherwise it names one host. Host parts compare case-insensitively, local parts exactly.
 */
export function emailWithin(name: string, constraint: string): boolean {
  const at = name.lastIndexOf('@');
  if (at < 0) return false;
  const local = name.slice(0, at);
  const host = lower(name.slice(at + 1));
  if (constraint.includes('@')) {
    const cat = constraint.lastIndexOf('@');
    return local === constraint.slice(0, cat) && host === lower(constraint.slice(cat + 1));
  }
  const c = lower(constraint);
  if (c.startsWith('.')) return host.endsWith(c);
  return host === c;
}

/** The host of a URI with an authority component (RFC 3986 §3.2.2); undefined when there is none. */
export function uriHost(uri: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(uri);
  if (!m) return undefined;
  let authority = m[1] ?? '';
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    return close > 1 ? lower(authority.slice(1, close)) : undefined;
  }
  const colon = authority.indexOf(':');
  if (colon >= 0) authority = authority.slice(0, colon);
  return authority === '' ? undefined : lower(authority);
}

/** uniformResourceIdentifier: the constraint applies to the host; a leading '.' means any host in that domain. */
export function uriWithin(uri: string, constraint: string): boolean {
  const host = uriHost(uri);
  if (host === undefined) return false;
  const c = lower(constraint);
  if (c.startsWith('.')) return host.endsWith(c);
  return host === c;
}

/** iPAddress: the constraint is address‖mask of the same family. */
export function ipWithin(address: Uint8Array, constraint: Uint8Array): boolean {
  if (constraint.length !== 2 * address.length) return false;
  for (let i = 0; i < address.length; i++) {
    const mask = constraint[address.length + i] as number;
    if (((address[i] as number) & mask) !== ((constraint[i] as number) & mask)) return false;
  }
  return true;
}

function within(name: GeneralName, base: GeneralName): boolean {
  switch (name.kind) {
    case 'directoryName':
      return base.kind === 'directoryName' && nameWithinSubtree(name.name, base.name);
    case 'rfc822Name':
      return base.kind === 'rfc822Name' && emailWithin(name.value, base.value);
    case 'dNSName':
      return base.kind === 'dNSName' && dnsWithin(name.value, base.value);
    case 'uniformResourceIdentifier':
      return base.kind === 'uniformResourceIdentifier' && uriWithin(name.value, base.value);
    case 'iPAddress':
      return base.kind === 'iPAddress' && ipWithin(name.bytes, base.bytes);
    default:
      return false;
  }
}

/** A name to check, and whether we can decide it (a name form we implement, with a readable value). */
export interface ConstrainedName {
  readonly name: GeneralName;
  readonly decidable: boolean;
}

/**
 * The names of a certificate that constraints apply to: the subject DN (when not empty), every
 * subjectAltName entry, and — when there is no subjectAltName — the legacy emailAddress attributes of the
 * subject, which RFC 5280 §4.2.1.10 says rfc822Name constraints MUST be applied to.
 */
export function constrainedNames(cert: Certificate): ConstrainedName[] {
  const names: ConstrainedName[] = [];
  if (!isEmptyName(cert.subject)) names.push({ name: { kind: 'directoryName', name: cert.subject }, decidable: true });
  if (cert.ext.subjectAltName) {
    for (const name of cert.ext.subjectAltName) names.push({ name, decidable: SUPPORTED.has(name.kind) });
  } else {
    for (const text of attributeTexts(cert.subject, OID.emailAddress)) {
      names.push({ name: { kind: 'rfc822Name', value: text ?? '(undecodable emailAddress)' }, decidable: text !== undefined });
    }
  }
  return names;
}

/** Returns undefined when the certificate's names satisfy the constraints, or a message saying which does not. */
export function checkNameConstraints(cert: Certificate, state: NameConstraintState): string | undefined {
  for (const { name, decidable } of constrainedNames(cert)) {
    const shown = generalNameToString(name);
    for (const subtrees of state.permitted) {
      const sameForm = subtrees.filter((s) => s.base.kind === name.kind);
      if (sameForm.length === 0) continue;
      if (!decidable) return `${shown}: cannot be checked against permitted ${name.kind} constraints`;
      if (sameForm.some((s) => s.minimum !== 0 || s.maximum !== undefined)) return `${shown}: permitted subtree uses minimum/maximum, which RFC 5280 forbids`;
      if (!sameForm.some((s) => within(name, s.base))) return `${shown} is not within the permitted subtrees`;
    }
    for (const s of state.excluded) {
      if (s.base.kind !== name.kind) continue;
      if (!decidable) return `${shown}: cannot be checked against excluded ${name.kind} constraints`;
      if (s.minimum !== 0 || s.maximum !== undefined) return `${shown}: excluded subtree uses minimum/maximum, which RFC 5280 forbids`;
      if (within(name, s.base)) return `${shown} is within the excluded subtree ${generalNameToString(s.base)}`;
    }
  }
  return undefined;
}
