/**
 * Object identifiers the CA, the OCSP responder and the profiles use that ../x509/oids.ts (made for path
 * validation) does not hold.
 */
export const PKIX_OID = {
  // Extended key usages (RFC 5280 §4.2.1.12, RFC 6960 §4.2.2.2)
  kpServerAuth: '1.3.6.1.5.5.7.3.1',
  kpClientAuth: '1.3.6.1.5.5.7.3.2',
  kpTimeStamping: '1.3.6.1.5.5.7.3.8',
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',
  // Access methods (RFC 5280 §4.2.2.1)
  adOcsp: '1.3.6.1.5.5.7.48.1',
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  // OCSP (RFC 6960 §4.2.1, §4.4)
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ocspCrlId: '1.3.6.1.5.5.7.48.1.3',
  ocspResponse: '1.3.6.1.5.5.7.48.1.4',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  ocspArchiveCutoff: '1.3.6.1.5.5.7.48.1.6',
  ocspServiceLocator: '1.3.6.1.5.5.7.48.1.7',
  ocspPreferredSignatureAlgorithms: '1.3.6.1.5.5.7.48.1.8',
  ocspExtendedRevoke: '1.3.6.1.5.5.7.48.1.9',
  // Subject attributes (X.520, RFC 5280 Appendix A)
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  givenName: '2.5.4.42',
} as const;
