import { createPublicKey } from 'node:crypto';
import * as pkcs11 from 'pkcs11js';
import { CURVES } from './algorithms';
import { KeyUnsuitableError } from './errors';
import { getAttributes, matchingPublicKey, type HsmKey } from './objects';

/** CKA_EC_POINT is a DER OCTET STRING around the point (PKCS#11 v2.40); some tokens give the bare point. */
function unwrapEcPoint(value: Buffer, fieldBytes: number): Buffer {
  const pointLength = 1 + 2 * fieldBytes;
  if (value.length === pointLength && value[0] === 0x04) return value;
  if (value[0] === 0x04) {
    const first = value[1] ?? 0;
    const [length, start] = first < 0x80 ? [first, 2] : first === 0x81 ? [value[2] ?? 0, 3] : [-1, 0];
    if (length === pointLength && start + length === value.length) return value.subarray(start);
  }
  throw new KeyUnsuitableError('the token gave an EC point that is not an uncompressed point');
}

/** SubjectPublicKeyInfo DER of a public key read from the token's public attributes. */
export function publicKeySpki(p11: pkcs11.PKCS11, session: Buffer, key: HsmKey): Buffer {
  if (key.keyType === 'RSA') {
    // CKA_MODULUS and CKA_PUBLIC_EXPONENT are public attributes of RSA private keys too.
    const [n, e] = getAttributes(p11, session, key.handle, [pkcs11.CKA_MODULUS, pkcs11.CKA_PUBLIC_EXPONENT]);
    const jwk = { kty: 'RSA', n: (n ?? Buffer.alloc(0)).toString('base64url'), e: (e ?? Buffer.alloc(0)).toString('base64url') };
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  }
  if (key.keyType === 'EC') {
    if (key.curve === undefined) throw new KeyUnsuitableError(`the EC key "${key.label}" is on a curve we do not know`);
    const publicKey = key.class === 'publicKey' ? key : matchingPublicKey(p11, session, key);
    const [point] = getAttributes(p11, session, publicKey.handle, [pkcs11.CKA_EC_POINT]);
    const fieldBytes = CURVES[key.curve].fieldBytes;
    const raw = unwrapEcPoint(point ?? Buffer.alloc(0), fieldBytes);
    const jwk = {
      kty: 'EC',
      crv: key.curve,
      x: raw.subarray(1, 1 + fieldBytes).toString('base64url'),
      y: raw.subarray(1 + fieldBytes).toString('base64url'),
    };
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  }
  throw new KeyUnsuitableError(`"${key.label}" is a secret key: it has no public key`);
}
