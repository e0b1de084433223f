import { bytesEqual, toHex } from '../der/reader';
import { type SignatureCheck, verifySignature } from '../crypto/verify-signature';
import type { SubjectPublicKeyInfo } from '../x509/algorithm';
import type { Certificate } from '../x509/certificate';
import type { Crl } from '../x509/crl';

/**
 * Signature checks on certificates and CRLs, remembered per (object, key): path building tries the same
 * issuer key on the same certificate more than once, and CRLs are checked for every certificate they cover.
 */
type Signed = Certificate | Crl;

const memo = new WeakMap<Signed, Map<string, SignatureCheck>>();

export function checkSignedObject(obj: Signed, key: SubjectPublicKeyInfo, inheritedParameters: Uint8Array | undefined): SignatureCheck {
  // RFC 5280 §4.1.1.2 / §5.1.1.2: the outer signatureAlgorithm MUST equal the signed inner one.
  if (!bytesEqual(obj.signatureAlgorithm.der, obj.tbsSignatureAlgorithm.der)) {
    return { ok: false, failure: 'invalid-signature', message: 'signatureAlgorithm differs from the signature field inside the signed data' };
  }
  if (obj.signatureValue.unusedBits !== 0) {
    return { ok: false, failure: 'malformed-signature', message: 'signature BIT STRING has unused bits' };
  }
  const slot = `${toHex(key.der)}|${inheritedParameters ? toHex(inheritedParameters) : ''}`;
  let perObject = memo.get(obj);
  if (!perObject) {
    perObject = new Map();
    memo.set(obj, perObject);
  }
  const hit = perObject.get(slot);
  if (hit) return hit;
  const result = verifySignature({
    algorithm: obj.signatureAlgorithm,
    publicKey: key,
    inheritedKeyParameters: inheritedParameters,
    data: obj.tbs,
    signature: obj.signatureValue.bytes,
  });
  perObject.set(slot, result);
  return result;
}
