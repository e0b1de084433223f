import { parseSignedData, verifySignedData, type CertificateCache, type RevocationSettings, type TrustAnchor } from '../../pki';
import type { ApprovalSignatureVerifier } from '../approval-port';

export interface CmsApprovalVerifierOptions {
  readonly trustAnchors: readonly TrustAnchor[];
  /** CA certificates (DER) between the anchors and the citizens: a SIM sends only its own certificate. */
  readonly intermediates?: readonly Uint8Array[];
  /** Revocation of the citizen's certificate; the deployment gives its OCSP source. */
  readonly revocation: RevocationSettings;
  readonly certificateCache?: CertificateCache;
  /**
   * The citizen's signing certificate (DER) as the mobile-ID directory has it; when given, the signer must be
   * exactly that certificate, so a valid signature by somebody else's SIM is refused.
   */
  readonly certificateFor?: (msisdn: string) => Promise<Uint8Array | undefined>;
  readonly clock?: () => Date;
}

/** Verifies the citizen's CMS signature over the offer's canonical bytes with src/pki (signature, path, revocation). */
export function cmsApprovalVerifier(options: CmsApprovalVerifierOptions): ApprovalSignatureVerifier {
  return {
    async verify(signature, content, msisdn) {
      // A SIM may send the signature with the content inside (attached); then it must be these bytes exactly.
      let attached: Uint8Array | undefined;
      try {
        attached = parseSignedData(signature).content;
      } catch (err) {
        return { valid: false, reason: `malformed: ${(err as Error).message}` };
      }
      if (attached !== undefined && Buffer.compare(Buffer.from(attached), Buffer.from(content)) !== 0) {
        return { valid: false, reason: 'content: the signed content is not the offer' };
      }
      const result = await verifySignedData(signature, {
        ...(attached === undefined ? { detachedContent: content } : {}),
        trustAnchors: options.trustAnchors,
        ...(options.intermediates !== undefined ? { intermediates: options.intermediates } : {}),
        revocation: options.revocation,
        ...(options.certificateCache !== undefined ? { certificateCache: options.certificateCache } : {}),
        ...(options.clock !== undefined ? { time: options.clock() } : {}),
      }).catch((err: unknown) => ({ valid: false as const, rule: 'malformed', message: (err as Error).message }));
      if (!result.valid) return { valid: false, reason: `${result.rule}: ${result.message}` };
      if (options.certificateFor !== undefined) {
        const expected = await options.certificateFor(msisdn);
        const actual = result.signer.certificate.der;
        if (expected === undefined || Buffer.compare(Buffer.from(expected), Buffer.from(actual)) !== 0) {
          return { valid: false, reason: `the signer is not the certificate registered for ${msisdn}` };
        }
      }
      return { valid: true };
    },
  };
}
