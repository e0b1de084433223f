import type { CaRecord, Repositories } from '../../store';
import { bytesEqual } from '../der/reader';
import type { ProfileName } from '../profiles/profiles';
import { CERTIFICATE_PROFILES } from '../profiles/profiles';
import { type Certificate, parseCertificate } from '../x509/certificate';
import { CaError } from './errors';
import type { PublicationUrls } from './extensions';
import { type IssuedCertificate, type IssueInput, issueCertificate } from './issue';
import type { SigningKey } from './signing-key';
import { goodStatus } from './status';

/** The names of the two CAs `mssp ca init` makes (and the path segment of their CRL and certificate URLs). */
export const ROOT_CA = 'root';
export const ISSUING_CA = 'issuing';

export interface IssueRequest extends Omit<IssueInput, 'profile'> {
  readonly profile: ProfileName;
  /** The mobile ID the certificate belongs to (citizen profiles). */
  readonly mid?: string;
}

/**
 * One certification authority as the platform runs it: its stored record, its certificate and its signing key
 * (in the HSM). Issues certificates and records them with their first status in the caller's transaction.
 */
export class CertificationAuthority {
  readonly certificate: Certificate;

  constructor(
    readonly record: CaRecord,
    readonly key: SigningKey,
  ) {
    this.certificate = parseCertificate(record.certificate);
    if (!bytesEqual(this.certificate.subjectPublicKeyInfo.der, key.spki)) {
      throw new CaError('KEY_PROBLEM', `the key labelled "${record.keyLabel}" is not the key of the "${record.name}" CA certificate (serial ${record.serial})`);
    }
  }

  get name(): string {
    return this.record.name;
  }

  get der(): Buffer {
    return this.record.certificate;
  }

  get urls(): PublicationUrls {
    return {
      ...(this.record.ocspUrl !== null ? { ocsp: this.record.ocspUrl } : {}),
      ...(this.record.caIssuersUrl !== null ? { caIssuers: this.record.caIssuersUrl } : {}),
      ...(this.record.crlUrl !== null ? { crl: this.record.crlUrl } : {}),
    };
  }

  /** Signs a certificate; nothing is stored (see recordIssued()). */
  issue(request: IssueRequest): Promise<IssuedCertificate> {
    const { profile, mid: _mid, ...rest } = request;
    if (profile === 'root-ca') return Promise.reject(new CaError('PROFILE_VIOLATION', 'a root CA certificate is self-signed, not issued'));
    return issueCertificate({ key: this.key, certificate: this.certificate, urls: this.urls }, { ...rest, profile: CERTIFICATE_PROFILES[profile] });
  }

  /** Records an issued certificate and its first status ('good') in `tx`. */
  async recordIssued(tx: Pick<Repositories, 'certificates'>, issued: IssuedCertificate, profile: ProfileName, actor: string, mid: string | null = null): Promise<void> {
    await tx.certificates.insertCertificate({
      issuerCa: this.name,
      serial: issued.serialHex,
      profile,
      subject: issued.subject,
      mid,
      keyHash: issued.keyHash,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      der: issued.der,
    });
    await tx.certificates.insertStatus(goodStatus(this.name, issued.serialHex, actor));
  }
}
