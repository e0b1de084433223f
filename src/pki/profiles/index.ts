/** Certificate profiles as data (what each certificate the platform issues says about its key). */
export { CERTIFICATE_PROFILES, PROFILE_NAMES, isProfileName, profile, type CertificateProfile, type ProfileName, type KeyUsageName, type KeyRule, type SubjectKind, type AltNameKind } from './profiles';
export { PKIX_OID } from './oids';
export { describeSpki, keyRuleProblem, keyToString, type KeyDescription } from './key-rule';
