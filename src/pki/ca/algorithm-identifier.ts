import { SIGNATURE_ALGORITHMS, type SignatureAlgorithmName } from '../../hsm';
import { nullValue, oid, sequence } from '../cms/der-writer';
import { CaError } from './errors';

const cache = new Map<SignatureAlgorithmName, Buffer>();

/**
 * The signatureAlgorithm of the CRLs and OCSP responses we sign: ECDSA with parameters absent (RFC 5758
 * §3.2), RSA PKCS#1 v1.5 with NULL parameters (RFC 4055 §5). RSA-PSS is not offered for CA keys.
 */
export function signatureAlgorithmIdentifier(algorithm: SignatureAlgorithmName): Buffer {
  const hit = cache.get(algorithm);
  if (hit !== undefined) return hit;
  const entry = SIGNATURE_ALGORITHMS[algorithm];
  let der: Buffer;
  if (entry.webcrypto.name === 'ECDSA') der = sequence(oid(entry.signatureOid));
  else if (entry.webcrypto.name === 'RSASSA-PKCS1-v1_5') der = sequence(oid(entry.signatureOid), nullValue());
  else throw new CaError('KEY_PROBLEM', `${algorithm} is not offered for CRLs and OCSP responses (use ECDSA or RSA PKCS#1 v1.5)`);
  cache.set(algorithm, der);
  return der;
}
