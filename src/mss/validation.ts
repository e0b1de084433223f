import { parseSignedData, verifySignedData, type Certificate, type CertificateCache, type RevocationSettings, type TrustAnchor } from '../pki';

/** The AdditionalService URI by which an AP asks the MSSP to validate the signature before answering. */
export const VALIDATE_SERVICE = 'http://uri.etsi.org/TS102204/v1.1.2#validate';

export interface SignatureValidation {
  readonly trustAnchors: readonly TrustAnchor[];
  /** CA certificates (DER) between the anchors and the citizens: a SIM sends only its own certificate. */
  readonly intermediates?: readonly (Uint8Array | Certificate)[];
  /**
   * Parsed certificates kept across validations (the SIMs' own certificates come back with every signature);
   * with the intermediates and CRLs given as the same parsed objects each time, their signatures are checked once.
   */
  readonly certificateCache?: CertificateCache;
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
    ...(validation.certificateCache !== undefined ? { certificateCache: validation.certificateCache } : {}),
    revocation: await validation.revocation(),
  });
  if (!result.valid) {
    if (result.rule === 'path' && result.path?.rule === 'revoked') return { code: 501, reason: result.message };
    return { code: 503, reason: `${result.rule}: ${result.message}` };
  }
  if (!Buffer.from(result.content).equals(Buffer.from(signedData))) return { code: 503, reason: 'the signature covers other data than DataToBeSigned' };
  return { code: 502 };
}

/**
 * The revocation sources, loaded at most once per `ms`: reading and parsing the CRLs for every validation cost
 * two store queries and two CRL signature checks per signature. A CRL the CA publishes is used at most `ms` late.
 * A failed load is not kept.
 */
export function refreshedEvery(ms: number, load: () => Promise<RevocationSettings>, now: () => number = Date.now): () => Promise<RevocationSettings> {
  let cached: { at: number; settings: Promise<RevocationSettings> } | undefined;
  return () => {
    const t = now();
    if (cached !== undefined && t - cached.at < ms) return cached.settings;
    const settings = load();
    const entry = { at: t, settings };
    cached = entry;
    settings.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return settings;
  };
}
