/** Object identifiers of CMS (RFC 5652), ESS (RFC 2634, RFC 5035) and the time-stamp protocol (RFC 3161). */
export const CMS_OID = {
  // Content types (RFC 5652 §4, §5; RFC 3161 §2.4.2)
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  // Attributes (RFC 5652 §11; RFC 2634 §5.4; RFC 5035 §3)
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  countersignature: '1.2.840.113549.1.9.6',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  // Signature algorithms used in SignerInfo
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  // Extended key usage (RFC 5280 §4.2.1.12)
  kpTimeStamping: '1.3.6.1.5.5.7.3.8',
} as const;
