import { PKIX_OID } from './oids';

/**
 * Certificate profiles as data: what each kind of certificate the platform issues says about its key. The
 * CA turns a profile and a subject into extensions (ca/extensions.ts); nothing else decides key usages.
 *
 * Key usage names are RFC 5280 §4.2.1.3's; `nonRepudiation` is the bit X.509 (2008) renamed
 * contentCommitment, which marks keys for qualified-style signatures (ETSI EN 319 412-2 §4.3.2).
 */
export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign';

/** The key types a profile accepts for its subject (the citizen's SIM, a service key in the HSM). */
export interface KeyRule {
  readonly ecCurves: readonly ('P-256' | 'P-384' | 'P-521')[];
  /** Smallest RSA modulus accepted; undefined refuses RSA. */
  readonly rsaMinBits?: number;
}

export type SubjectKind = 'ca' | 'citizen' | 'service';
export type AltNameKind = 'none' | 'msisdn' | 'dns';

export interface CertificateProfile {
  readonly name: ProfileName;
  readonly description: string;
  readonly subject: SubjectKind;
  readonly keyUsage: readonly KeyUsageName[];
  /** For RSA subject keys of TLS profiles: keyEncipherment as well (RSA key transport in TLS 1.2). */
  readonly rsaAddsKeyEncipherment?: boolean;
  readonly extKeyUsage?: { readonly purposes: readonly string[]; readonly critical: boolean };
  /** basicConstraints cA with this pathLenConstraint (undefined: none). Absent for end entities. */
  readonly ca?: { readonly pathLen?: number };
  readonly validityDays: number;
  readonly altName: AltNameKind;
  /** RFC 6960 §4.2.2.2.1 id-pkix-ocsp-nocheck: clients trust the responder certificate for its lifetime. */
  readonly ocspNoCheck?: boolean;
  /** authorityInfoAccess id-ad-ocsp: the certificate's status can be asked of our responder. */
  readonly ocspUrl: boolean;
  readonly keys: KeyRule;
}

export const PROFILE_NAMES = [
  'root-ca',
  'issuing-ca',
  'citizen-auth',
  'citizen-sign',
  'ocsp-responder',
  'tsa',
  'audit-signing',
  'rp-tls-client',
  'platform-tls-server',
] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

const SERVICE_KEYS: KeyRule = { ecCurves: ['P-256', 'P-384'], rsaMinBits: 2048 };
/** What SIM tokens make: P-256 (and P-384) or RSA of at least 2048 bits (NIST SP 800-131A). */
const CITIZEN_KEYS: KeyRule = { ecCurves: ['P-256', 'P-384'], rsaMinBits: 2048 };
const CA_KEYS: KeyRule = { ecCurves: ['P-256', 'P-384', 'P-521'], rsaMinBits: 3072 };

export const CERTIFICATE_PROFILES: { readonly [K in ProfileName]: CertificateProfile & { readonly name: K } } = {
  'root-ca': {
    name: 'root-ca',
    description: 'self-signed root of the platform PKI; signs issuing CAs and its own CRL',
    subject: 'ca',
    keyUsage: ['keyCertSign', 'cRLSign'],
    ca: { pathLen: 1 },
    validityDays: 20 * 365,
    altName: 'none',
    ocspUrl: false,
    keys: CA_KEYS,
  },
  'issuing-ca': {
    name: 'issuing-ca',
    description: 'issues citizen and service certificates, signs their CRL and the OCSP responder certificate',
    subject: 'ca',
    keyUsage: ['keyCertSign', 'cRLSign'],
    ca: { pathLen: 0 },
    validityDays: 10 * 365,
    altName: 'none',
    // The root does not answer OCSP (its key stays offline but for CRLs): status of this certificate is on the root CRL.
    ocspUrl: false,
    keys: CA_KEYS,
  },
  'citizen-auth': {
    name: 'citizen-auth',
    description: 'citizen authentication (mobile ID login): digitalSignature, id-kp-clientAuth, MSISDN in the SAN',
    subject: 'citizen',
    keyUsage: ['digitalSignature'],
    extKeyUsage: { purposes: [PKIX_OID.kpClientAuth], critical: false },
    validityDays: 3 * 365,
    altName: 'msisdn',
    ocspUrl: true,
    keys: CITIZEN_KEYS,
  },
  'citizen-sign': {
    name: 'citizen-sign',
    description: 'citizen signature (qualified-style): nonRepudiation / contentCommitment only, MSISDN in the SAN',
    subject: 'citizen',
    // ETSI EN 319 412-2 §4.3.2: a certificate for qualified-style signatures asserts contentCommitment alone.
    keyUsage: ['nonRepudiation'],
    validityDays: 3 * 365,
    altName: 'msisdn',
    ocspUrl: true,
    keys: CITIZEN_KEYS,
  },
  'ocsp-responder': {
    name: 'ocsp-responder',
    description: 'delegated OCSP responder of the issuing CA: id-kp-OCSPSigning and id-pkix-ocsp-nocheck',
    subject: 'service',
    keyUsage: ['digitalSignature'],
    extKeyUsage: { purposes: [PKIX_OID.kpOcspSigning], critical: false },
    // nocheck makes the certificate unrevocable in practice (RFC 6960 §4.2.2.2.1): keep its life short.
    validityDays: 365,
    altName: 'none',
    ocspNoCheck: true,
    ocspUrl: false,
    keys: SERVICE_KEYS,
  },
  tsa: {
    name: 'tsa',
    description: 'time-stamp authority: id-kp-timeStamping alone, critical (RFC 3161 §2.3)',
    subject: 'service',
    keyUsage: ['digitalSignature', 'nonRepudiation'],
    extKeyUsage: { purposes: [PKIX_OID.kpTimeStamping], critical: true },
    validityDays: 5 * 365,
    altName: 'none',
    ocspUrl: true,
    keys: SERVICE_KEYS,
  },
  'audit-signing': {
    name: 'audit-signing',
    description: 'signs audit-log checkpoints: digitalSignature and nonRepudiation, no extended key usage',
    subject: 'service',
    keyUsage: ['digitalSignature', 'nonRepudiation'],
    validityDays: 5 * 365,
    altName: 'none',
    ocspUrl: true,
    keys: SERVICE_KEYS,
  },
  'rp-tls-client': {
    name: 'rp-tls-client',
    description: 'relying party (AP) TLS client certificate: id-kp-clientAuth',
    subject: 'service',
    keyUsage: ['digitalSignature'],
    rsaAddsKeyEncipherment: true,
    extKeyUsage: { purposes: [PKIX_OID.kpClientAuth], critical: false },
    validityDays: 2 * 365,
    altName: 'none',
    ocspUrl: true,
    keys: SERVICE_KEYS,
  },
  'platform-tls-server': {
    name: 'platform-tls-server',
    description: 'the platform HTTPS listener: id-kp-serverAuth, DNS names in the SAN',
    subject: 'service',
    keyUsage: ['digitalSignature'],
    rsaAddsKeyEncipherment: true,
    extKeyUsage: { purposes: [PKIX_OID.kpServerAuth], critical: false },
    validityDays: 397,
    altName: 'dns',
    ocspUrl: true,
    keys: SERVICE_KEYS,
  },
};

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

export function profile(name: ProfileName): CertificateProfile {
  return CERTIFICATE_PROFILES[name];
}
