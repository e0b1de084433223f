import type { Hsm } from '../../hsm';
import type { CertificateRecord, Repositories } from '../../store';
import { CertificationAuthority, ISSUING_CA, ROOT_CA } from './authority';
import { CaError } from './errors';
import { PKI_KEY_LABELS } from './keys';
import { hsmSigningKey, type SigningKey } from './signing-key';
import type { ProfileName } from '../profiles/profiles';
import { bytesEqual } from '../der/reader';
import { parseCertificate } from '../x509/certificate';

/** The platform PKI as a running node uses it: both CAs with their keys in the token. */
export interface LoadedCas {
  readonly root: CertificationAuthority;
  readonly issuing: CertificationAuthority;
}

/** Opens the CAs `mssp ca init` made; NOT_INITIALISED when there are none, KEY_PROBLEM when a key is missing or wrong. */
export async function loadCas(hsm: Hsm, store: Pick<Repositories, 'certificates'>): Promise<LoadedCas> {
  const [rootRecord, issuingRecord] = await Promise.all([store.certificates.findCa(ROOT_CA), store.certificates.findCa(ISSUING_CA)]);
  if (rootRecord === undefined || issuingRecord === undefined) throw new CaError('NOT_INITIALISED', 'no CA in the store: run `mssp ca init` first');
  const [rootKey, issuingKey] = await Promise.all([hsmSigningKey(hsm, rootRecord.keyLabel), hsmSigningKey(hsm, issuingRecord.keyLabel)]);
  return { root: new CertificationAuthority(rootRecord, rootKey), issuing: new CertificationAuthority(issuingRecord, issuingKey) };
}

/** The newest certificate of a service profile issued by the issuing CA (the OCSP responder's, the TSA's, ...). */
export async function latestServiceCertificate(store: Pick<Repositories, 'certificates'>, profile: ProfileName): Promise<CertificateRecord | undefined> {
  const [latest] = await store.certificates.listCertificates({ issuerCa: ISSUING_CA, profile, limit: 1 });
  return latest;
}

/** A service's certificate with the key that goes with it, checked to match. */
export interface ServiceIdentity {
  readonly certificate: CertificateRecord;
  readonly key: SigningKey;
  /** The issuing CA certificate (DER), to send along so relying parties can build the path. */
  readonly chain: readonly Buffer[];
}

const LABELS: Partial<Record<ProfileName, string>> = {
  'ocsp-responder': PKI_KEY_LABELS.ocspResponder,
  tsa: PKI_KEY_LABELS.tsa,
  'audit-signing': PKI_KEY_LABELS.audit,
};

export async function loadServiceIdentity(hsm: Hsm, store: Pick<Repositories, 'certificates'>, profile: 'ocsp-responder' | 'tsa' | 'audit-signing'): Promise<ServiceIdentity> {
  const certificate = await latestServiceCertificate(store, profile);
  if (certificate === undefined) throw new CaError('NOT_INITIALISED', `no ${profile} certificate in the store: run \`mssp ca init\``);
  const label = LABELS[profile] as string;
  const key = await hsmSigningKey(hsm, label);
  const issuing = await store.certificates.findCa(ISSUING_CA);
  if (!bytesEqual(parseCertificate(certificate.der).subjectPublicKeyInfo.der, key.spki)) {
    throw new CaError('KEY_PROBLEM', `the key labelled "${label}" is not the key of the ${profile} certificate (serial ${certificate.serial})`);
  }
  return { certificate, key, chain: issuing === undefined ? [] : [issuing.certificate] };
}
