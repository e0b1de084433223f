import type { ApprovalFormat, ApprovalKey } from '../approval';

/**
 * Signature profiles and MSS formats the platform offers. The profile picks the SIM key (FiCom guideline 2.1
 * names these two URIs); the format picks what the SIM returns.
 */
export interface SignatureProfile {
  readonly uri: string;
  readonly key: ApprovalKey;
}

export const FICOM_AUTHENTICATION_PROFILE = 'http://mss.ficom.fi/TS102204/v1.0.0#authentication';
export const FICOM_SIGNATURE_PROFILE = 'http://mss.ficom.fi/TS102204/v1.0.0#signature';

export const DEFAULT_PROFILES: readonly SignatureProfile[] = [
  { uri: FICOM_AUTHENTICATION_PROFILE, key: 'authentication' },
  { uri: FICOM_SIGNATURE_PROFILE, key: 'signature' },
];

export const MSS_FORMATS = {
  'http://uri.etsi.org/TS102204/v1.1.2#PKCS7': 'PKCS7',
  'http://uri.etsi.org/TS102204/v1.1.2#PKCS1': 'PKCS1',
} as const satisfies Record<string, ApprovalFormat>;
export const PKCS7_FORMAT = 'http://uri.etsi.org/TS102204/v1.1.2#PKCS7';

export function formatOf(uri: string): ApprovalFormat | undefined {
  return Object.prototype.hasOwnProperty.call(MSS_FORMATS, uri) ? MSS_FORMATS[uri as keyof typeof MSS_FORMATS] : undefined;
}
