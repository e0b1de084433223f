import { verifySignedData, type RevocationSettings, type TrustAnchor } from '../pki';

/** The AdditionalService URI by which an AP asks the MSSP to validate the signature before answering. */
export const VALIDATE_SERVICE = 'http://uri.etsi.org/TS102204/v1.1.2#validate';

export interface SignatureValidation {
  readonly trustAnchors: readonly TrustAnchor[];
  /** The revocation sources in force now (CRLs from the store, the OCSP hook); asked per validation. */
  revocation(): Promise<RevocationSettings>;
}

/**
 * Validates a CMS signature the citizen returned (signature, path to our anchors, revocation) and that it signs
 * exactly what the AP sent: 502 VALID_SIGNATURE, 501 REVOKED_CERTIFICATE, 503 INVALID_SIGNATURE otherwise.
 */
export async function validateSignature(validation: SignatureValidation, cms: Uint8Array, signedData: Uint8Array): Promise<{ code: 501 | 502 | 503; reason?: string }> {
  const result = await verifySignedData(cms, { trustAnchors: validation.trustAnchors, revocation: await validation.revocation() });
  if (!result.valid) {
    if (result.rule === 'path' && result.path?.rule === 'revoked') return { code: 501, reason: result.message };
    return { code: 503, reason: `${result.rule}: ${result.message}` };
  }
  if (!Buffer.from(result.content).equals(Buffer.from(signedData))) return { code: 503, reason: 'the signature covers other data than DataToBeSigned' };
  return { code: 502 };
}
