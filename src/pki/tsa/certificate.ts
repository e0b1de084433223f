import type { Certificate } from '../x509/certificate';
import { OID } from '../x509/oids';
import { CMS_OID } from '../cms/oids';

/**
 * RFC 3161 §2.3: the TSA's certificate carries exactly one extendedKeyUsage, id-kp-timeStamping, and the
 * extension is critical. Checked when a TSA starts (its own certificate) and when a token is verified.
 */
export function timeStampingCertificateProblem(cert: Certificate): string | undefined {
  const eku = cert.extensions.find((e) => e.oid === OID.extKeyUsage);
  if (eku === undefined) return 'the TSA certificate has no extendedKeyUsage (RFC 3161 §2.3 requires id-kp-timeStamping)';
  if (!eku.critical) return 'the TSA certificate extendedKeyUsage is not critical (RFC 3161 §2.3)';
  const purposes = cert.ext.extKeyUsage ?? [];
  if (purposes.length !== 1 || purposes[0] !== CMS_OID.kpTimeStamping) {
    return `the TSA certificate extendedKeyUsage must be id-kp-timeStamping alone, not ${purposes.join(', ')}`;
  }
  return undefined;
}
