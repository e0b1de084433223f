import type { Store } from '../../store';
import { readCertificationRequest } from '../ra/csr';
import type { CertificationAuthority } from './authority';
import { CaError } from './errors';
import type { IssuedCertificate } from './issue';

/** The profiles a CA operator issues from a request whose key the holder made (a relying party, a web server). */
export const REQUEST_PROFILES = ['rp-tls-client', 'platform-tls-server'] as const;
export type RequestProfile = (typeof REQUEST_PROFILES)[number];

export interface RequestIssueInput {
  readonly profile: string;
  /** PKCS#10, PEM or DER: its signature must verify with the key it carries (proof of possession). */
  readonly request: Uint8Array;
  readonly commonName: string;
  readonly organization?: string;
  readonly country?: string;
  /** platform-tls-server: the host names (at least one); none for rp-tls-client. */
  readonly dnsNames?: readonly string[];
  readonly validityDays?: number;
  readonly actor: string;
}

/**
 * Issues a TLS certificate for a key its holder made (the relying party's client key, the platform's server
 * key) from a PKCS#10 request, and records it with status good in one transaction. Citizens' certificates are
 * not issued here: they go through the RA (`RegistrationAuthority.register`), which binds them to a mobile ID.
 */
export async function issueForRequest(ca: CertificationAuthority, store: Pick<Store, 'transaction'>, input: RequestIssueInput): Promise<IssuedCertificate> {
  if (!(REQUEST_PROFILES as readonly string[]).includes(input.profile)) {
    throw new CaError('BAD_INPUT', `the profile is one of ${REQUEST_PROFILES.join(', ')}, not "${input.profile}" (citizens' certificates come from \`mssp ra register\`)`);
  }
  const profile = input.profile as RequestProfile;
  const csr = readCertificationRequest(input.request);
  const issued = await ca.issue({
    profile,
    subject: {
      kind: 'service',
      commonName: input.commonName,
      ...(input.organization !== undefined ? { organization: input.organization } : {}),
      ...(input.country !== undefined ? { country: input.country } : {}),
    },
    publicKey: csr.subjectPublicKeyInfo.der,
    ...(input.dnsNames !== undefined && input.dnsNames.length > 0 ? { dnsNames: input.dnsNames } : {}),
    ...(input.validityDays !== undefined ? { validityDays: input.validityDays } : {}),
  });
  await store.transaction((tx) => ca.recordIssued(tx, issued, profile, input.actor));
  return issued;
}
