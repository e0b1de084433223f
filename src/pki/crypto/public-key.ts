import { type KeyObject, createPublicKey } from 'node:crypto';
import { DerReader, Tag, readBigInt, readOid, toHex } from '../der/reader';
import { PkiParseError } from '../errors';
import { type SubjectPublicKeyInfo, parametersAbsentOrNull } from '../x509/algorithm';
import { OID } from '../x509/oids';
import { CURVES, type Curve } from './algorithms';

/**
 * Turns a SubjectPublicKeyInfo into a node:crypto KeyObject plus what the verifier needs to know about it
 * (curve order, DSA subgroup order, RSA modulus width). DSA keys whose parameters are absent inherit them
 * from the issuer (RFC 3279 §2.3.2; RFC 5280 §6.1.4 (e) working_public_key_parameters).
 */
export type PreparedKey =
  | { readonly kind: 'rsa'; readonly key: KeyObject; readonly modulusBytes: number }
  | { readonly kind: 'rsa-pss'; readonly key: KeyObject; readonly modulusBytes: number }
  | { readonly kind: 'ec'; readonly key: KeyObject; readonly curve: Curve }
  | { readonly kind: 'dsa'; readonly key: KeyObject; readonly q: bigint; readonly qBytes: number }
  | { readonly kind: 'ed25519' | 'ed448'; readonly key: KeyObject };

export type KeyPreparation = { readonly ok: true; readonly key: PreparedKey } | { readonly ok: false; readonly failure: 'unsupported-algorithm' | 'invalid-key'; readonly message: string };

function encodeLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

function tlv(tag: number, body: Uint8Array | number[]): Uint8Array {
  const b = Array.from(body);
  return Uint8Array.from([tag, ...encodeLength(b.length), ...b]);
}

/** Re-encodes a DSA SPKI with the inherited Dss-Parms in place of the absent ones. */
function spkiWithDsaParameters(spki: SubjectPublicKeyInfo, params: Uint8Array): Uint8Array {
  const oid = Uint8Array.from([0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01]);
  const alg = tlv(Tag.SEQUENCE, [...oid, ...params]);
  const bits = tlv(Tag.BIT_STRING, [0, ...spki.publicKey]);
  return tlv(Tag.SEQUENCE, [...alg, ...bits]);
}

function dsaQ(params: Uint8Array): bigint {
  const what = 'Dss-Parms';
  const seq = DerReader.single(params, what);
  if (seq.tag !== Tag.SEQUENCE) throw new PkiParseError(`${what}: expected a SEQUENCE`, seq.start);
  const r = DerReader.inside(seq, what);
  const p = readBigInt(r.expect(Tag.INTEGER, 'p'), what);
  const q = readBigInt(r.expect(Tag.INTEGER, 'q'), what);
  const g = readBigInt(r.expect(Tag.INTEGER, 'g'), what);
  r.end();
  if (p <= 1n || q <= 1n || g <= 1n) throw new PkiParseError(`${what}: parameters out of range`, seq.start);
  return q;
}

const cache = new WeakMap<SubjectPublicKeyInfo, Map<string, KeyPreparation>>();

export function prepareKey(spki: SubjectPublicKeyInfo, inheritedParameters?: Uint8Array): KeyPreparation {
  const slot = inheritedParameters ? toHex(inheritedParameters) : '';
  let perKey = cache.get(spki);
  if (!perKey) {
    perKey = new Map();
    cache.set(spki, perKey);
  }
  const hit = perKey.get(slot);
  if (hit) return hit;
  const prepared = prepareUncached(spki, inheritedParameters);
  perKey.set(slot, prepared);
  return prepared;
}

/** Whether this key's algorithm parameters are absent, so that it needs the issuer's (DSA only). */
export function keyNeedsInheritedParameters(spki: SubjectPublicKeyInfo): boolean {
  return spki.algorithm.oid === OID.dsa && parametersAbsentOrNull(spki.algorithm);
}

function prepareUncached(spki: SubjectPublicKeyInfo, inheritedParameters: Uint8Array | undefined): KeyPreparation {
  const alg = spki.algorithm;
  try {
    switch (alg.oid) {
      case OID.rsaEncryption:
      case OID.rsassaPss: {
        // RFC 3279 §2.3.1: rsaEncryption parameters are NULL. RFC 4055 §1.2: id-RSASSA-PSS keys may carry PSS-params.
        if (alg.oid === OID.rsaEncryption && !parametersAbsentOrNull(alg)) {
          return { ok: false, failure: 'invalid-key', message: 'rsaEncryption key with parameters other than NULL' };
        }
        const key = createPublicKey({ key: Buffer.from(spki.der), format: 'der', type: 'spki' });
        const bits = key.asymmetricKeyDetails?.modulusLength;
        if (bits === undefined) return { ok: false, failure: 'invalid-key', message: 'RSA key without a modulus length' };
        return { ok: true, key: { kind: alg.oid === OID.rsaEncryption ? 'rsa' : 'rsa-pss', key, modulusBytes: Math.ceil(bits / 8) } };
      }
      case OID.ecPublicKey: {
        const p = alg.parameters;
        if (p === undefined || p[0] !== Tag.OID) {
          // RFC 5480 §2.1.1: PKIX keys name their curve; explicit and implicit curves are not allowed.
          return { ok: false, failure: 'unsupported-algorithm', message: 'EC key without a named curve' };
        }
        const curveOid = readOid(DerReader.single(p, 'namedCurve'), 'namedCurve');
        const curve = CURVES[curveOid];
        if (!curve) return { ok: false, failure: 'unsupported-algorithm', message: `unsupported curve ${curveOid}` };
        const key = createPublicKey({ key: Buffer.from(spki.der), format: 'der', type: 'spki' });
        return { ok: true, key: { kind: 'ec', key, curve } };
      }
      case OID.dsa: {
        let der = spki.der;
        let params = alg.parameters;
        if (parametersAbsentOrNull(alg)) {
          if (!inheritedParameters) {
            return { ok: false, failure: 'invalid-key', message: 'DSA key without parameters and none to inherit' };
          }
          params = inheritedParameters;
          der = spkiWithDsaParameters(spki, inheritedParameters);
        }
        const q = dsaQ(params as Uint8Array);
        const key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
        return { ok: true, key: { kind: 'dsa', key, q, qBytes: Math.ceil(q.toString(2).length / 8) } };
      }
      case OID.ed25519:
      case OID.ed448: {
        if (alg.parameters !== undefined) return { ok: false, failure: 'invalid-key', message: 'EdDSA key with parameters' };
        const key = createPublicKey({ key: Buffer.from(spki.der), format: 'der', type: 'spki' });
        return { ok: true, key: { kind: alg.oid === OID.ed25519 ? 'ed25519' : 'ed448', key } };
      }
      default:
        return { ok: false, failure: 'unsupported-algorithm', message: `unsupported public key algorithm ${alg.oid}` };
    }
  } catch (err) {
    // node:crypto refuses keys it cannot load (point not on the curve, bad modulus, truncated key...).
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, failure: 'invalid-key', message: `public key rejected: ${detail}` };
  }
}
