import type { CertificateRecord, MobileIdEventRecord, MobileIdRecord, MobileIdStatus, Repositories, StatusRecord, Store } from '../../store';
import type { CertificationAuthority } from '../ca/authority';
import type { IssuedCertificate } from '../ca/issue';
import { spkiHash } from '../ca/issue';
import { describeSpki, keyRuleProblem } from '../profiles/key-rule';
import { CERTIFICATE_PROFILES } from '../profiles/profiles';
import { type RevocationReason } from '../ca/reasons';
import { type StatusChange, changeStatus } from '../ca/status';
import { parseCertificate } from '../x509/certificate';
import { attributeTexts } from '../x509/name';
import { PKIX_OID } from '../profiles/oids';
import { readCertificationRequest } from './csr';
import { RaError } from './errors';
import { type CitizenIdentity, checkIdentity, checkLabel, checkMode, checkOfficer, maxLevelFor } from './identity';
import { isMid, newMid } from './mid';
import { normaliseMsisdn } from './msisdn';

/**
 * The registration authority and the mobile-ID directory. A registration officer registers a citizen (identity
 * checked against a document, in person or remotely) with two PKCS#10 requests made inside the SIM's token;
 * the RA checks proof of possession and key policy, gives the registration a mobile ID bound to one MSISDN, and
 * has the issuing CA certify an authentication and a signature key. Suspension, reinstatement, revocation,
 * renewal and a change of MSISDN are new events and new certificate status rows; nothing is overwritten.
 */

export type CitizenProfile = 'citizen-auth' | 'citizen-sign';

export interface RegistrationInput {
  readonly identity: CitizenIdentity;
  readonly msisdn: string;
  /** What this mID is for ('government', 'bank', ...): one MSISDN may hold several. */
  readonly label: string;
  readonly mode: string;
  readonly officer: string;
  /** PKCS#10 (DER or PEM) for the authentication key. */
  readonly authenticationRequest: Uint8Array;
  /** PKCS#10 (DER or PEM) for the signature key. */
  readonly signatureRequest: Uint8Array;
  /**
   * Registered but not yet usable: the mID is 'pending' and both certificates are issued on hold
   * (certificateHold) until `activate`. A relying party registering over TS 102 204 does it in these two steps.
   */
  readonly pendingActivation?: boolean;
}

export interface IssuedPair {
  readonly authentication: IssuedCertificate;
  readonly signature: IssuedCertificate;
}

export interface RegistrationResult extends IssuedPair {
  readonly mid: string;
  readonly msisdn: string;
  readonly label: string;
  readonly registrationMode: 'in-person' | 'remote';
  readonly maxLevel: 3 | 4;
  readonly status: 'pending' | 'active';
}

export interface CertificateView {
  readonly record: CertificateRecord;
  readonly status: StatusRecord | undefined;
}

export interface MobileIdView {
  readonly mobileId: MobileIdRecord;
  readonly current: MobileIdEventRecord;
  readonly history: readonly MobileIdEventRecord[];
  readonly certificates: readonly CertificateView[];
}

export interface LifecycleInput {
  readonly mid: string;
  readonly officer: string;
  readonly note?: string;
}

export interface RegistrationAuthorityOptions {
  readonly store: Store;
  /**
   * The issuing CA, opened when a certificate is to be signed: suspending, reinstating and revoking need only
   * the store, so the CLI opens the token just for registration, renewal and a change of MSISDN.
   */
  readonly issuer: () => Promise<CertificationAuthority>;
  /** Told of every certificate status this RA writes (the node's OCSP cache listens). */
  readonly onStatusChange?: (issuerCa: string, serial: string) => void;
  /**
   * Records each registration, issuance and status change inside the transaction that makes it, so the audit log
   * and the directory commit together (pki/ may not import audit/: the CLI and the platform plug the log in here).
   */
  readonly record?: (tx: Repositories, event: RaAuditEvent) => Promise<void>;
  readonly clock?: () => Date;
}

/** One RA action as the audit log takes it. */
export interface RaAuditEvent {
  readonly action: 'registration.create' | 'registration.update' | 'certificate.issue' | 'certificate.suspend' | 'certificate.resume' | 'certificate.revoke';
  /** The registration officer. */
  readonly officer: string;
  /** `mid:…` for registrations, `certificate:<ca>:<serial hex>` for certificates. */
  readonly subject: string;
  readonly outcome: string;
  readonly details: Readonly<Record<string, string | number | null>>;
  /** The certificate DER, for an issuance (its SHA-256 goes into the entry). */
  readonly evidence?: Uint8Array;
}

const STATUS_ACTIONS = { hold: 'certificate.suspend', reinstate: 'certificate.resume', revoke: 'certificate.revoke' } as const;

/** What a lifecycle step works with inside its transaction. */
interface Step {
  readonly tx: Repositories;
  readonly officer: string;
  /** Certificates whose status this step changed: told to onStatusChange after the commit. */
  readonly changed: [string, string][];
}

interface Transition {
  readonly from: readonly MobileIdStatus[];
  readonly to: MobileIdStatus;
}

const TRANSITIONS = {
  suspend: { from: ['active'], to: 'suspended' },
  reinstate: { from: ['suspended'], to: 'active' },
  revoke: { from: ['pending', 'active', 'suspended'], to: 'revoked' },
  activate: { from: ['pending'], to: 'active' },
  renew: { from: ['active'], to: 'active' },
  changeMsisdn: { from: ['active'], to: 'active' },
} as const satisfies Record<string, Transition>;

export class RegistrationAuthority {
  private readonly store: Store;
  private readonly clock: () => Date;

  constructor(private readonly options: RegistrationAuthorityOptions) {
    this.store = options.store;
    this.clock = options.clock ?? (() => new Date());
  }

  /** Registers a citizen: checks everything, signs both certificates, then records it all in one transaction. */
  async register(input: RegistrationInput): Promise<RegistrationResult> {
    const identity = checkIdentity(input.identity, this.clock());
    const msisdn = normaliseMsisdn(input.msisdn);
    const label = checkLabel(input.label);
    const mode = checkMode(input.mode);
    const officer = checkOfficer(input.officer);
    const keys = this.checkRequests(input.authenticationRequest, input.signatureRequest);
    await this.ensureKeysFree(keys, undefined);
    const mid = newMid();
    const issued = await this.issuePair(mid, identity, msisdn, keys);
    const status = input.pendingActivation === true ? 'pending' : 'active';
    await this.store.transaction(async (tx) => {
      await tx.mobileIds.insertMobileId({ mid, label, ...identity, registrationMode: mode, maxLevel: maxLevelFor(mode), officer });
      await this.recordPair(tx, mid, issued, officer);
      if (status === 'pending') {
        // Issued and at once on hold: OCSP and the CRL say certificateHold until the activation lifts it.
        const step: Step = { tx, officer, changed: [] };
        for (const cert of [issued.authentication, issued.signature]) {
          await this.setStatus(step, { issuerCa: issued.ca.name, serial: cert.serialHex, mid }, { action: 'hold' }, 'pending activation');
        }
      }
      await tx.mobileIds.insertEvent({ mid, event: 'registered', msisdn, status, reason: null, actor: officer, details: details(issued) });
      await this.options.record?.(tx, {
        action: 'registration.create',
        officer,
        subject: mid,
        outcome: 'ok',
        details: { msisdn, label, registrationMode: mode, maxLevel: maxLevelFor(mode), status, authentication: issued.authentication.serialHex, signature: issued.signature.serialHex },
      });
    });
    this.notify(issued);
    return { mid, msisdn, label, registrationMode: mode, maxLevel: maxLevelFor(mode), status, authentication: issued.authentication, signature: issued.signature };
  }

  /** The second step of a registration made with pendingActivation: the held certificates become good. */
  activate(input: LifecycleInput): Promise<MobileIdView> {
    return this.lifecycle(input, 'activate', 'activated', null, async (step, certs) => {
      for (const c of certs) if (c.status?.status === 'hold') await this.setStatus(step, c.record, { action: 'reinstate' }, input.note);
    });
  }

  /** Suspends the mID: both certificates go on hold (certificateHold). */
  suspend(input: LifecycleInput): Promise<MobileIdView> {
    return this.lifecycle(input, 'suspend', 'suspended', null, async (step, certs) => {
      for (const c of certs) if (c.status?.status === 'good') await this.setStatus(step, c.record, { action: 'hold' }, input.note);
    });
  }

  /** Lifts a suspension: the certificates on hold are good again (they leave the next CRL). */
  reinstate(input: LifecycleInput): Promise<MobileIdView> {
    return this.lifecycle(input, 'reinstate', 'reinstated', null, async (step, certs) => {
      for (const c of certs) if (c.status?.status === 'hold') await this.setStatus(step, c.record, { action: 'reinstate' }, input.note);
    });
  }

  /** Revokes the mID and every certificate of it not yet revoked. Final. */
  revoke(input: LifecycleInput & { readonly reason: RevocationReason; readonly invalidityDate?: Date }): Promise<MobileIdView> {
    return this.lifecycle(input, 'revoke', 'revoked', input.reason, async (step, certs) => {
      const change = { action: 'revoke' as const, reason: input.reason, ...(input.invalidityDate !== undefined ? { invalidityDate: input.invalidityDate } : {}) };
      for (const c of certs) if (c.status?.status !== 'revoked') await this.setStatus(step, c.record, change, input.note);
    });
  }

  /** New certificates for new keys (new requests from the SIM); the old ones are revoked as superseded. */
  async renew(input: LifecycleInput & { readonly authenticationRequest: Uint8Array; readonly signatureRequest: Uint8Array }): Promise<MobileIdView & IssuedPair> {
    const view = await this.view(input.mid);
    const keys = this.checkRequests(input.authenticationRequest, input.signatureRequest);
    await this.ensureKeysFree(keys, view.mobileId.mid);
    const issued = await this.issuePair(view.mobileId.mid, view.mobileId, view.current.msisdn, keys);
    const after = await this.lifecycle(input, 'renew', 'renewed', 'superseded', async (step, certs) => {
      for (const c of certs) if (c.status?.status !== 'revoked') await this.setStatus(step, c.record, { action: 'revoke', reason: 'superseded' }, input.note);
      await this.recordPair(step.tx, view.mobileId.mid, issued, step.officer);
    }, details(issued));
    this.notify(issued);
    return { ...after, authentication: issued.authentication, signature: issued.signature };
  }

  /**
   * Binds the mID to a new MSISDN (number porting, a new SIM with the same keys is not possible, so the keys
   * stay): the certificates are re-issued for the same keys with the new number, the old ones revoked as
   * affiliationChanged (RFC 5280 §5.3.1: the subject's information changed).
   */
  async changeMsisdn(input: LifecycleInput & { readonly msisdn: string }): Promise<MobileIdView & IssuedPair> {
    const msisdn = normaliseMsisdn(input.msisdn);
    const view = await this.view(input.mid);
    if (view.current.msisdn === msisdn) throw new RaError('INVALID_TRANSITION', `${view.mobileId.mid} is already bound to ${msisdn}`);
    const current = currentPair(view);
    const keys = { auth: parseCertificate(current.auth.der).subjectPublicKeyInfo.der, sign: parseCertificate(current.sign.der).subjectPublicKeyInfo.der };
    const issued = await this.issuePair(view.mobileId.mid, view.mobileId, msisdn, keys);
    const after = await this.lifecycle(
      input,
      'changeMsisdn',
      'msisdn-changed',
      'affiliationChanged',
      async (step, certs) => {
        for (const c of certs) if (c.status?.status !== 'revoked') await this.setStatus(step, c.record, { action: 'revoke', reason: 'affiliationChanged' }, input.note);
        await this.recordPair(step.tx, view.mobileId.mid, issued, step.officer);
      },
      details(issued, { from: view.current.msisdn }),
      msisdn,
    );
    this.notify(issued);
    return { ...after, authentication: issued.authentication, signature: issued.signature };
  }

  /** The mIDs bound to an MSISDN now, with their certificates and history. */
  async show(msisdnInput: string): Promise<MobileIdView[]> {
    const msisdn = normaliseMsisdn(msisdnInput);
    const states = await this.store.mobileIds.boundTo(msisdn);
    return Promise.all(states.map((s) => this.view(s.mobileId.mid)));
  }

  /** Finds the one mID meant: by mID, or by MSISDN (and label when the MSISDN holds several). */
  async resolve(query: { readonly mid?: string; readonly msisdn?: string; readonly label?: string }): Promise<string> {
    if (query.mid !== undefined) {
      if (!isMid(query.mid)) throw new RaError('MID_NOT_FOUND', `"${query.mid.slice(0, 60)}" is not a mobile ID (mid:<uuid>)`);
      return query.mid;
    }
    if (query.msisdn === undefined) throw new RaError('MID_NOT_FOUND', 'name the mobile ID, or the MSISDN it is bound to');
    const msisdn = normaliseMsisdn(query.msisdn);
    let states = await this.store.mobileIds.boundTo(msisdn);
    if (query.label !== undefined) states = states.filter((s) => s.mobileId.label === query.label);
    const [only] = states;
    if (only === undefined) throw new RaError('MID_NOT_FOUND', `no mobile ID${query.label !== undefined ? ` labelled "${query.label}"` : ''} is bound to ${msisdn}`);
    if (states.length > 1) {
      throw new RaError('MID_AMBIGUOUS', `${msisdn} holds ${states.length} mobile IDs (${states.map((s) => `${s.mobileId.mid} "${s.mobileId.label}"`).join(', ')}); name one with --mid or --label`);
    }
    return only.mobileId.mid;
  }

  async view(mid: string): Promise<MobileIdView> {
    const state = await this.store.mobileIds.find(mid);
    if (state === undefined) throw new RaError('MID_NOT_FOUND', `no mobile ID ${mid}`);
    const [history, records] = await Promise.all([this.store.mobileIds.history(mid), this.store.certificates.certificatesOfMid(mid)]);
    const certificates = await Promise.all(records.map(async (record) => ({ record, status: await this.store.certificates.currentStatus(record.issuerCa, record.serial) })));
    return { mobileId: state.mobileId, current: state.current, history, certificates };
  }

  private checkRequests(authentication: Uint8Array, signature: Uint8Array): { auth: Uint8Array; sign: Uint8Array } {
    const auth = readCertificationRequest(authentication, 'the authentication request').subjectPublicKeyInfo.der;
    const sign = readCertificationRequest(signature, 'the signature request').subjectPublicKeyInfo.der;
    for (const [what, spki, profile] of [['authentication', auth, 'citizen-auth'], ['signature', sign, 'citizen-sign']] as const) {
      let problem: string | undefined;
      try {
        problem = keyRuleProblem(describeSpki(spki), CERTIFICATE_PROFILES[profile].keys);
      } catch (err) {
        problem = `the key cannot be read (${(err as Error).message})`;
      }
      if (problem !== undefined) throw new RaError('KEY_NOT_ALLOWED', `the ${what} key: ${problem}`);
    }
    // One key, one job: the signature key must not also log in (ETSI EN 319 411-1 keeps them apart).
    if (Buffer.from(auth).equals(Buffer.from(sign))) throw new RaError('KEY_NOT_ALLOWED', 'the authentication and signature requests carry the same key; the SIM must make two key pairs');
    return { auth, sign };
  }

  private async ensureKeysFree(keys: { auth: Uint8Array; sign: Uint8Array }, mid: string | undefined): Promise<void> {
    for (const spki of [keys.auth, keys.sign]) {
      const others = (await this.store.certificates.certificatesWithKey(spkiHash(spki))).filter((c) => mid === undefined || c.mid !== mid);
      const [other] = others;
      if (other !== undefined) throw new RaError('KEY_IN_USE', `the key is already certified (certificate ${other.serial}${other.mid !== null ? ` of ${other.mid}` : ''}); a SIM key belongs to one mobile ID`);
    }
  }

  private async issuePair(mid: string, identity: CitizenIdentity, msisdn: string, keys: { auth: Uint8Array; sign: Uint8Array }): Promise<IssuedPair & { ca: CertificationAuthority }> {
    const ca = await this.options.issuer();
    // Citizens' serialNumber carries the country of the CA (ETSI EN 319 412-1 "PNO" + country).
    const [country] = attributeTexts(ca.certificate.subject, PKIX_OID.countryName);
    const subject = { kind: 'citizen' as const, givenName: identity.givenName, familyName: identity.familyName, nationalId: identity.nationalId, ...(country !== undefined ? { country } : {}) };
    const authentication = await ca.issue({ profile: 'citizen-auth', subject, publicKey: keys.auth, msisdn, mid });
    const signature = await ca.issue({ profile: 'citizen-sign', subject, publicKey: keys.sign, msisdn, mid });
    return { authentication, signature, ca };
  }

  private async recordPair(tx: Repositories, mid: string, issued: IssuedPair & { ca: CertificationAuthority }, officer: string): Promise<void> {
    await issued.ca.recordIssued(tx, issued.authentication, 'citizen-auth', officer, mid);
    await issued.ca.recordIssued(tx, issued.signature, 'citizen-sign', officer, mid);
    for (const [profile, cert] of [['citizen-auth', issued.authentication], ['citizen-sign', issued.signature]] as const) {
      await this.options.record?.(tx, { action: 'certificate.issue', officer, subject: `certificate:${issued.ca.name}:${cert.serialHex}`, outcome: 'ok', details: { mid, profile }, evidence: cert.der });
    }
  }

  private async setStatus(step: Step, record: Pick<CertificateRecord, 'issuerCa' | 'serial' | 'mid'>, change: StatusChange, note?: string): Promise<void> {
    await changeStatus(step.tx, { issuerCa: record.issuerCa, serial: record.serial, change, actor: step.officer, ...(note !== undefined ? { note } : {}), at: this.clock() });
    step.changed.push([record.issuerCa, record.serial]);
    await this.options.record?.(step.tx, {
      action: STATUS_ACTIONS[change.action],
      officer: step.officer,
      subject: `certificate:${record.issuerCa}:${record.serial}`,
      outcome: 'ok',
      details: { mid: record.mid, reason: change.action === 'revoke' ? change.reason : null, note: note ?? null },
    });
  }

  private async lifecycle(
    input: LifecycleInput,
    kind: keyof typeof TRANSITIONS,
    event: string,
    reason: string | null,
    apply: (step: Step, certs: readonly CertificateView[]) => Promise<void>,
    extraDetails?: string,
    newMsisdn?: string,
  ): Promise<MobileIdView> {
    const officer = checkOfficer(input.officer);
    const mid = await this.resolve({ mid: input.mid });
    const rule: Transition = TRANSITIONS[kind];
    const changed: [string, string][] = [];
    await this.store.transaction(async (tx) => {
      const state = await tx.mobileIds.find(mid);
      if (state === undefined) throw new RaError('MID_NOT_FOUND', `no mobile ID ${mid}`);
      if (!rule.from.includes(state.current.status)) throw new RaError('INVALID_TRANSITION', `${mid} is ${state.current.status}; ${kind} needs it ${rule.from.join(' or ')}`);
      const records = await tx.certificates.certificatesOfMid(mid);
      const certs: CertificateView[] = [];
      for (const record of records) certs.push({ record, status: await tx.certificates.currentStatus(record.issuerCa, record.serial) });
      await apply({ tx, officer, changed }, certs);
      await tx.mobileIds.insertEvent({
        mid,
        event,
        msisdn: newMsisdn ?? state.current.msisdn,
        status: rule.to,
        reason,
        actor: officer,
        details: extraDetails ?? (input.note !== undefined ? JSON.stringify({ note: input.note }) : null),
      });
      await this.options.record?.(tx, {
        action: 'registration.update',
        officer,
        subject: mid,
        outcome: 'ok',
        details: { event, status: rule.to, msisdn: newMsisdn ?? state.current.msisdn, reason, note: input.note ?? null },
      });
    });
    for (const [ca, serial] of changed) this.options.onStatusChange?.(ca, serial);
    return this.view(mid);
  }

  private notify(issued: IssuedPair & { ca: CertificationAuthority }): void {
    for (const c of [issued.authentication, issued.signature]) this.options.onStatusChange?.(issued.ca.name, c.serialHex);
  }
}

function details(issued: IssuedPair & { ca?: unknown }, extra: Record<string, string> = {}): string {
  return JSON.stringify({ ...extra, authentication: issued.authentication.serialHex, signature: issued.signature.serialHex });
}

/** The newest certificate of each citizen profile: the pair in use. */
export function currentPair(view: MobileIdView): { auth: CertificateRecord; sign: CertificateRecord } {
  const newest = (profile: CitizenProfile): CertificateRecord | undefined => [...view.certificates].reverse().find((c) => c.record.profile === profile)?.record;
  const auth = newest('citizen-auth');
  const sign = newest('citizen-sign');
  if (auth === undefined || sign === undefined) throw new RaError('MID_NOT_FOUND', `${view.mobileId.mid} has no certificate pair`);
  return { auth, sign };
}
