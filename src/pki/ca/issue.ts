import 'reflect-metadata';
import { createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { CertificateProfile } from '../profiles/profiles';
import { describeSpki, keyRuleProblem, keyToString } from '../profiles/key-rule';
import { type Certificate, parseCertificate } from '../x509/certificate';
import { nameToString } from '../x509/name';
import { CaError } from './errors';
import { buildExtensions, type PublicationUrls } from './extensions';
import { subjectName, type SubjectSpec } from './names';
import { randomSerialHex } from './serial';
import { type SigningKey, webCryptoSignParams } from './signing-key';

const DAY_MS = 86_400_000;
/** notBefore is set this far back so that a relying party whose clock lags a little still accepts a new certificate. */
const BACKDATE_MS = 5 * 60_000;

/** Who signs: the CA's key and certificate (undefined while the self-signed root is being made). */
export interface Issuer {
  readonly key: SigningKey;
  readonly certificate: Certificate | undefined;
  /** What this CA writes into the certificates it issues. */
  readonly urls: PublicationUrls;
}

export interface IssueInput {
  readonly profile: CertificateProfile;
  readonly subject: SubjectSpec;
  /** The subject's SubjectPublicKeyInfo DER (from a checked PKCS#10 request, or a token key). */
  readonly publicKey: Uint8Array;
  readonly msisdn?: string;
  readonly dnsNames?: readonly string[];
  /** Default now minus a few minutes. */
  readonly notBefore?: Date;
  /** Shorter than the profile's validity, never longer. */
  readonly validityDays?: number;
  /** For tests: the serial as hex (otherwise 127 random bits). */
  readonly serialHex?: string;
}

export interface IssuedCertificate {
  readonly der: Buffer;
  readonly certificate: Certificate;
  /** Lower-case hex of the serial number's DER content octets. */
  readonly serialHex: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of the SubjectPublicKeyInfo, hex: how a key is recognised across certificates. */
  readonly keyHash: string;
}

export function spkiHash(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex');
}

/** Whole seconds: X.509 times carry no fractions (RFC 5280 §4.1.2.5). */
export const wholeSeconds = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

function validity(input: IssueInput, issuer: Issuer): { notBefore: Date; notAfter: Date } {
  const days = input.validityDays ?? input.profile.validityDays;
  if (!Number.isFinite(days) || days <= 0 || days > input.profile.validityDays) {
    throw new CaError('PROFILE_VIOLATION', `${input.profile.name} certificates are valid for 1 to ${input.profile.validityDays} days, not ${days}`);
  }
  const notBefore = wholeSeconds(input.notBefore?.getTime() ?? Date.now() - BACKDATE_MS);
  let notAfter = notBefore.getTime() + days * DAY_MS;
  // A certificate outliving its issuer would fail path validation from that day on (RFC 5280 §6.1.3 (a)(2)).
  if (issuer.certificate !== undefined) notAfter = Math.min(notAfter, issuer.certificate.notAfter);
  if (notAfter <= notBefore.getTime()) throw new CaError('PROFILE_VIOLATION', 'the issuing CA certificate expires before the new certificate would start');
  return { notBefore, notAfter: wholeSeconds(notAfter) };
}

/**
 * Issues one certificate: checks the subject key against the profile, builds the extensions the profile
 * names, and signs with the issuer's key through its WebCrypto provider (the HSM's, in the platform).
 * Nothing is stored here: the caller records the certificate (and its first status) in one transaction.
 */
export async function issueCertificate(issuer: Issuer, input: IssueInput): Promise<IssuedCertificate> {
  const { profile } = input;
  let keyProblem: string | undefined;
  try {
    keyProblem = keyRuleProblem(describeSpki(input.publicKey), profile.keys);
  } catch (err) {
    throw new CaError('PROFILE_VIOLATION', `the subject public key is not a key node:crypto can read: ${(err as Error).message}`, { cause: err });
  }
  if (keyProblem !== undefined) throw new CaError('PROFILE_VIOLATION', `${profile.name}: ${keyProblem}`);
  if ((profile.subject === 'citizen') !== (input.subject.kind === 'citizen')) {
    throw new CaError('PROFILE_VIOLATION', `${profile.name} certificates are for a ${profile.subject} subject, not a ${input.subject.kind}`);
  }
  const selfSigned = issuer.certificate === undefined;
  if (selfSigned && profile.name !== 'root-ca') throw new CaError('PROFILE_VIOLATION', 'only the root CA certificate is self-signed');
  const { notBefore, notAfter } = validity(input, issuer);
  const subject = subjectName(input.subject);
  const extensions = buildExtensions({
    profile,
    subjectSpki: input.publicKey,
    ...(selfSigned ? {} : { issuerSpki: issuer.key.spki }),
    urls: issuer.urls,
    ...(input.msisdn !== undefined ? { msisdn: input.msisdn } : {}),
    ...(input.dnsNames !== undefined ? { dnsNames: input.dnsNames } : {}),
  });
  const serialHex = input.serialHex ?? randomSerialHex();
  const made = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialHex,
      subject,
      // The issuer's subject bytes exactly as its certificate holds them (name chaining compares them).
      issuer: issuer.certificate === undefined ? subject : new x509.Name(issuer.certificate.subject.der),
      notBefore,
      notAfter,
      publicKey: input.publicKey,
      signingKey: issuer.key.privateKey,
      signingAlgorithm: webCryptoSignParams(issuer.key.algorithm) as x509.X509CertificateCreateParamsBase['signingAlgorithm'],
      extensions,
    },
    issuer.key.crypto,
  );
  const der = Buffer.from(made.rawData);
  const certificate = parseCertificate(der);
  if (Buffer.from(certificate.serialNumber).toString('hex') !== serialHex) {
    throw new CaError('KEY_PROBLEM', `the certificate came out with serial ${Buffer.from(certificate.serialNumber).toString('hex')}, not ${serialHex}`);
  }
  return {
    der,
    certificate,
    serialHex,
    subject: nameToString(certificate.subject),
    notBefore,
    notAfter,
    keyHash: spkiHash(input.publicKey),
  };
}

export function describeKeyOf(spki: Uint8Array): string {
  try {
    return keyToString(describeSpki(spki));
  } catch {
    return 'an unreadable key';
  }
}
