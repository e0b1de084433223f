import { createPublicKey } from 'node:crypto';
import type { KeyRule } from './profiles';

/** What a SubjectPublicKeyInfo holds, as far as key policy cares. */
export type KeyDescription =
  | { readonly type: 'EC'; readonly curve: string }
  | { readonly type: 'RSA'; readonly bits: number; readonly exponent: bigint }
  | { readonly type: 'other'; readonly name: string };

const NODE_CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** Reads a DER SubjectPublicKeyInfo with node:crypto (which checks EC points are on the curve). Throws on garbage. */
export function describeSpki(spki: Uint8Array): KeyDescription {
  const key = createPublicKey({ key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength), format: 'der', type: 'spki' });
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const named = details.namedCurve ?? '';
    return { type: 'EC', curve: NODE_CURVES[named] ?? named };
  }
  if (key.asymmetricKeyType === 'rsa') {
    return { type: 'RSA', bits: details.modulusLength ?? 0, exponent: details.publicExponent ?? 0n };
  }
  return { type: 'other', name: key.asymmetricKeyType ?? 'unknown' };
}

export function keyToString(key: KeyDescription): string {
  if (key.type === 'EC') return `EC ${key.curve}`;
  if (key.type === 'RSA') return `RSA-${key.bits}`;
  return key.name;
}

/** Why `key` is not acceptable under `rule`, or undefined when it is. */
export function keyRuleProblem(key: KeyDescription, rule: KeyRule): string | undefined {
  if (key.type === 'EC') {
    return (rule.ecCurves as readonly string[]).includes(key.curve) ? undefined : `EC keys must be on ${rule.ecCurves.join(' or ')}, not ${key.curve}`;
  }
  if (key.type === 'RSA') {
    if (rule.rsaMinBits === undefined) return 'RSA keys are not accepted here';
    if (key.bits < rule.rsaMinBits) return `RSA keys must have at least ${rule.rsaMinBits} bits, not ${key.bits}`;
    // e = 3 and other small exponents invite broken padding checks elsewhere; 65537 is what every token makes.
    if (key.exponent !== 65537n) return `RSA keys must use the public exponent 65537, not ${key.exponent}`;
    return undefined;
  }
  return `${key.name} keys are not accepted here`;
}
