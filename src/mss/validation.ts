import { parseSignedData, verifySignedData, type RevocationSettings, type TrustAnchor } from '../pki';

/** The AdditionalService URI by which an AP asks the MSSP to validate the signature before answering. */
export const VALIDATE_SERVICE = 'http://uri.etsi.org/TS102204/v1.1.2#validate';

export interface SignatureValidation {
  readonly trustAnchors: readonly TrustAnchor[];
  /** CA certificates (DER) between the anchors and the citizens: a SIM sends only its own certificate. */
  readonly intermediates?: readonly Uint8Array[];
  /** The revocation sources in force now (CRLs from the store, the OCSP hook); asked per validation. */
  revocation(): Promise<RevocationSettings>;
}

/**
 * Validates a CMS signature the citizen returned (signature, path to our anchors, revocation) and that it signs
 * exactly what the AP sent: 502 VALID_SIGNATURE, 501 REVOKED_CERTIFICATE, 503 INVALID_SIGNATURE otherwise.
 */
export async function validateSignature(validation: SignatureValidation, cms: Uint8Array, signedData: Uint8Array): Promise<{ code: 501 | 502 | 503; reason?: string }> {
  // A SIM applet signs detached (FORMAT.md): the content is then what the AP sent, DataToBeSigned.
  let detached = false;
  try {
    detached = parseSignedData(cms).content === undefined;
  } catch {
    // verifySignedData below names what is wrong with it.
  }
  const result = await verifySignedData(cms, {
    trustAnchors: validation.trustAnchors,
    ...(validation.intermediates !== undefined ? { intermediates: validation.intermediates } : {}),
    ...(detached ? { detachedContent: signedData } : {}),
    revocation: await validation.revocation(),
  });
  if (!result.valid) {
    if (result.rule === 'path' && result.path?.rule === 'revoked') return { code: 501, reason: result.message };
    return { code: 503, reason: `${result.rule}: ${result.message}` };
  }
  if (!Buffer.from(result.content).equals(Buffer.from(signedData))) return { code: 503, reason: 'the signature covers other data than DataToBeSigned' };
  return { code: 502 };
}
