import type { Hsm } from '../../hsm';
import { isStoreError, type CaRecord, type Store } from '../../store';
import { CERTIFICATE_PROFILES, type ProfileName } from '../profiles/profiles';
import { CertificationAuthority, ISSUING_CA, ROOT_CA } from './authority';
import { CaError } from './errors';
import { type IssuedCertificate, issueCertificate } from './issue';
import { type CaKeyChoice, PKI_KEY_LABELS, type PreparedKey, findOrCreateKey, recordKey } from './keys';
import { signingKeyFromPair, type SigningKey } from './signing-key';
import { publicationUrls } from './urls';
import { subjectName } from './names';

export interface CaInitOptions {
  /** Written into every CA and service subject (O=). */
  readonly organization: string;
  /** ISO 3166-1 alpha-2 country of the CA (C=), also used in citizens' serialNumber (PNO<C>-...). */
  readonly country?: string;
  /** Where relying parties reach the platform: the base of the OCSP, CRL and CA certificate URLs. */
  readonly publicBaseUrl: string;
  readonly rootKey?: CaKeyChoice;
  readonly issuingKey?: CaKeyChoice;
  /** OCSP responder and TSA keys. */
  readonly serviceKey?: CaKeyChoice;
  /** CRL lifetime (nextUpdate − thisUpdate) per CA. Defaults: root 30 days, issuing 1 day. */
  readonly rootCrlValiditySeconds?: number;
  readonly issuingCrlValiditySeconds?: number;
  /** Who ran it, for the status history. */
  readonly actor: string;
  /** Progress lines for the CLI. */
  readonly onStep?: (message: string) => void;
}

export interface ServiceCertificate {
  readonly profile: ProfileName;
  readonly keyLabel: string;
  readonly issued: IssuedCertificate;
}

export interface CaInitResult {
  readonly root: CaRecord;
  readonly issuing: CaRecord;
  readonly services: readonly ServiceCertificate[];
  /** Labels of the keys made now; the others were found in the token. */
  readonly createdKeys: readonly string[];
  readonly reusedKeys: readonly string[];
}

export const DEFAULT_ROOT_CRL_VALIDITY_SECONDS = 30 * 86_400;
export const DEFAULT_ISSUING_CRL_VALIDITY_SECONDS = 86_400;

/** The CAs in the store, described for a refusal message. */
export function describeCas(cas: readonly CaRecord[]): string {
  // The root first: the CA everything else hangs from.
  return [...cas].sort((a, b) => Number(a.parent !== null) - Number(b.parent !== null)).map((ca) => `"${ca.name}" (${ca.subject}, serial ${ca.serial}, key "${ca.keyLabel}", made ${ca.createdAt.toISOString()})`).join('; ');
}

interface ServicePlan {
  readonly profile: ProfileName;
  readonly label: string;
  readonly commonName: string;
  readonly purpose: string;
}

/**
 * `mssp ca init`: makes the root CA and the issuing CA, whose keys are generated in the token and never leave
 * it, and the certificates of the platform's own services (delegated OCSP responder, TSA, audit signing) so
 * that `mssp start` finds them. Refuses when a CA exists; resumes with keys an interrupted run left in the token.
 * Everything is recorded in one store transaction; the first CRLs are published by the caller (crl/publish.ts).
 */
export async function initCertificationAuthority(hsm: Hsm, store: Store, options: CaInitOptions): Promise<CaInitResult> {
  const step = options.onStep ?? ((): void => undefined);
  const existing = await store.certificates.listCas();
  if (existing.length > 0) {
    throw new CaError('ALREADY_INITIALISED', `the CA is already initialised: ${describeCas(existing)}; a second root is not made`);
  }
  const org = options.organization;
  const country = options.country;
  // Everything the operator typed is checked before the first key is made in the token.
  const rootUrls = publicationUrls(options.publicBaseUrl, ROOT_CA, false);
  const issuingUrls = publicationUrls(options.publicBaseUrl, ISSUING_CA, true);
  // The longest common name made below: X.520 bounds it at 64 characters.
  subjectName({ kind: 'ca', commonName: `${org} Time-Stamp Authority`, organization: org, ...(country !== undefined ? { country } : {}) });
  const prepared = new Map<string, PreparedKey>();
  const key = async (label: string, choice: CaKeyChoice): Promise<SigningKey> => {
    const made = await findOrCreateKey(hsm, label, choice);
    step(`${made.created ? 'generated' : 'found'} key "${label}" (${made.algorithm}) in token "${hsm.tokenLabel}"`);
    prepared.set(label, made);
    return signingKeyFromPair(hsm, made.pair);
  };

  const rootKey = await key(PKI_KEY_LABELS.root, options.rootKey ?? 'P-256');
  const rootCert = await issueCertificate(
    { key: rootKey, certificate: undefined, urls: rootUrls },
    {
      profile: CERTIFICATE_PROFILES['root-ca'],
      subject: { kind: 'ca', commonName: `${org} Root CA`, organization: org, ...(country !== undefined ? { country } : {}) },
      publicKey: rootKey.spki,
    },
  );
  const now = new Date();
  const rootRecord: CaRecord = {
    name: ROOT_CA,
    parent: null,
    keyLabel: PKI_KEY_LABELS.root,
    algorithm: rootKey.algorithm,
    serial: rootCert.serialHex,
    subject: rootCert.subject,
    certificate: rootCert.der,
    ocspUrl: rootUrls.ocsp ?? null,
    caIssuersUrl: rootUrls.caIssuers ?? null,
    crlUrl: rootUrls.crl ?? null,
    crlValiditySeconds: options.rootCrlValiditySeconds ?? DEFAULT_ROOT_CRL_VALIDITY_SECONDS,
    createdAt: now,
  };
  const root = new CertificationAuthority(rootRecord, rootKey);
  step(`root CA: ${rootCert.subject}, serial ${rootCert.serialHex}`);

  const issuingKey = await key(PKI_KEY_LABELS.issuing, options.issuingKey ?? 'P-256');
  const issuingCert = await root.issue({
    profile: 'issuing-ca',
    subject: { kind: 'ca', commonName: `${org} Issuing CA`, organization: org, ...(country !== undefined ? { country } : {}) },
    publicKey: issuingKey.spki,
  });
  const issuingRecord: CaRecord = {
    name: ISSUING_CA,
    parent: ROOT_CA,
    keyLabel: PKI_KEY_LABELS.issuing,
    algorithm: issuingKey.algorithm,
    serial: issuingCert.serialHex,
    subject: issuingCert.subject,
    certificate: issuingCert.der,
    ocspUrl: issuingUrls.ocsp ?? null,
    caIssuersUrl: issuingUrls.caIssuers ?? null,
    crlUrl: issuingUrls.crl ?? null,
    crlValiditySeconds: options.issuingCrlValiditySeconds ?? DEFAULT_ISSUING_CRL_VALIDITY_SECONDS,
    createdAt: now,
  };
  const issuing = new CertificationAuthority(issuingRecord, issuingKey);
  step(`issuing CA: ${issuingCert.subject}, serial ${issuingCert.serialHex}`);

  const plans: ServicePlan[] = [
    { profile: 'ocsp-responder', label: PKI_KEY_LABELS.ocspResponder, commonName: `${org} OCSP Responder`, purpose: 'ocsp' },
    { profile: 'tsa', label: PKI_KEY_LABELS.tsa, commonName: `${org} Time-Stamp Authority`, purpose: 'tsa' },
    { profile: 'audit-signing', label: PKI_KEY_LABELS.audit, commonName: `${org} Audit Log`, purpose: 'audit' },
  ];
  const services: ServiceCertificate[] = [];
  for (const plan of plans) {
    // The audit key is ES256 whatever the options say: the audit log signs its checkpoints with ES256.
    const serviceKey = await key(plan.label, plan.profile === 'audit-signing' ? 'P-256' : (options.serviceKey ?? 'P-256'));
    const issued = await issuing.issue({
      profile: plan.profile,
      subject: { kind: 'service', commonName: plan.commonName, organization: org, ...(country !== undefined ? { country } : {}) },
      publicKey: serviceKey.spki,
    });
    services.push({ profile: plan.profile, keyLabel: plan.label, issued });
    step(`${plan.profile} certificate: serial ${issued.serialHex}`);
  }

  await store.transaction(async (tx) => {
    try {
      await tx.certificates.insertCa(rootRecord);
    } catch (err) {
      if (isStoreError(err, 'UNIQUE_VIOLATION')) throw new CaError('ALREADY_INITIALISED', 'another `mssp ca init` made the CA at the same time; a second root is not made', { cause: err });
      throw err;
    }
    await tx.certificates.insertCa(issuingRecord);
    await root.recordIssued(tx, rootCert, 'root-ca', options.actor);
    await root.recordIssued(tx, issuingCert, 'issuing-ca', options.actor);
    for (const s of services) await issuing.recordIssued(tx, s.issued, s.profile, options.actor);
    const purposes: Record<string, string> = {
      [PKI_KEY_LABELS.root]: 'ca-root',
      [PKI_KEY_LABELS.issuing]: 'ca-issuing',
      ...Object.fromEntries(plans.map((p) => [p.label, p.purpose])),
    };
    for (const [label, made] of prepared) await recordKey(tx.keys, hsm.tokenLabel, label, made, purposes[label] ?? 'pki');
  });

  const labels = [...prepared.entries()];
  return {
    root: rootRecord,
    issuing: issuingRecord,
    services,
    createdKeys: labels.filter(([, p]) => p.created).map(([l]) => l),
    reusedKeys: labels.filter(([, p]) => !p.created).map(([l]) => l),
  };
}
