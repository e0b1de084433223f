import type { PublicationUrls } from './extensions';
import { CaError } from './errors';

/**
 * The HTTP paths where the platform publishes (src/api/pki-routes.ts serves them), and the URLs written into
 * certificates from the public base URL. RFC 5019 §5 recommends plain HTTP for OCSP; CRLs and CA
 * certificates are signed objects and need no TLS either.
 */
export const PKI_PATHS = {
  ocsp: '/ocsp',
  crl: (ca: string): string => `/crl/${ca}.crl`,
  caCertificate: (ca: string): string => `/ca/${ca}.cer`,
} as const;

export function checkBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new CaError('BAD_INPUT', `the public base URL must be an http:// or https:// URL, not "${baseUrl}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new CaError('BAD_INPUT', `the public base URL must be an http:// or https:// URL without query or fragment, not "${baseUrl}"`);
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * What CA `ca` writes into the certificates it issues: its certificate (caIssuers), its CRL, and the OCSP
 * responder when it has one (the root does not: its key signs only the issuing CA and the root CRL).
 */
export function publicationUrls(baseUrl: string, ca: string, answersOcsp: boolean): PublicationUrls {
  const base = checkBaseUrl(baseUrl);
  return {
    ...(answersOcsp ? { ocsp: `${base}${PKI_PATHS.ocsp}` } : {}),
    caIssuers: `${base}${PKI_PATHS.caCertificate(ca)}`,
    crl: `${base}${PKI_PATHS.crl(ca)}`,
  };
}
