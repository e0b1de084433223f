import { type KeyObject, generateKeyPairSync, sign } from 'node:crypto';
import { oid, seq, tlv } from './der';

/**
 * Builds small certificates with node:crypto keys for path-validation tests that PKITS does not cover
 * (ECDSA chains, OCSP answers, hand-broken encodings). Test-only.
 */
export interface TestKey {
  readonly privateKey: KeyObject;
  readonly spki: Uint8Array;
}

export function ecKey(namedCurve = 'prime256v1'): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve });
  return { privateKey, spki: Uint8Array.from(publicKey.export({ type: 'spki', format: 'der' })) };
}

export const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

export interface ExtensionSpec {
  readonly oid: string;
  readonly critical?: boolean;
  readonly value: Uint8Array;
}

export const basicConstraintsCa = (): ExtensionSpec => ({ oid: '2.5.29.19', critical: true, value: seq(tlv(0x01, [0xff])) });

/** keyUsage with the given named bits set. */
export function keyUsage(...bits: number[]): ExtensionSpec {
  const bytes = [0, 0];
  for (const b of bits) bytes[b >> 3] = (bytes[b >> 3] as number) | (0x80 >> (b & 7));
  const used = bytes[1] ? 2 : 1;
  return { oid: '2.5.29.15', critical: true, value: tlv(0x03, [0, ...bytes.slice(0, used)]) };
}

export interface CertSpec {
  readonly serial: number;
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly subjectKey: TestKey;
  readonly issuerKey: TestKey;
  readonly extensions?: readonly ExtensionSpec[];
  /** Override the signatureAlgorithm inside the TBS (to test the outer/inner comparison). */
  readonly tbsAlgorithm?: Uint8Array;
  /** Rewrite the signature value before it is placed in the certificate. */
  readonly mangleSignature?: (der: Uint8Array) => Uint8Array;
}

const time = (s: string): Uint8Array => tlv(0x18, Array.from(Buffer.from(s, 'latin1')));

export function buildCertificate(spec: CertSpec): Uint8Array {
  const exts = spec.extensions ?? [];
  const extBlock =
    exts.length > 0
      ? [tlv(0xa3, seq(...exts.map((e) => seq(oid(e.oid), ...(e.critical ? [tlv(0x01, [0xff])] : []), tlv(0x04, e.value)))))]
      : [];
  const tbs = seq(
    tlv(0xa0, tlv(0x02, [2])),
    tlv(0x02, [spec.serial]),
    spec.tbsAlgorithm ?? ECDSA_SHA256,
    spec.issuer,
    seq(time('20200101000000Z'), time('20400101000000Z')),
    spec.subject,
    spec.subjectKey.spki,
    ...extBlock,
  );
  let signature: Uint8Array = Uint8Array.from(sign('sha256', tbs, { key: spec.issuerKey.privateKey, dsaEncoding: 'der' }));
  if (spec.mangleSignature) signature = spec.mangleSignature(signature);
  return seq(tbs, ECDSA_SHA256, tlv(0x03, [0], signature));
}
