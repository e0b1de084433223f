import { AuditLog, hashEvidence, verifyStoredLog } from '../../src/audit';
import { raAuditRecorder } from '../../src/cli/ra-audit';
import { RegistrationAuthority, loadCas } from '../../src/pki';
import { initTestPki, openPkiTokens, simRequest, type PkiTokens } from '../pki/ca/support/pki-fixture';
import { sqliteEngine, type StoreFixture } from '../store/engines';

/** Registrations, issuances and status changes land in the audit log in the transaction that makes them. */

let tokens: PkiTokens;
let fx: StoreFixture;

beforeAll(async () => {
  tokens = await openPkiTokens('ra-audit');
  fx = await sqliteEngine.fresh();
  await initTestPki(tokens.platform, fx.store);
});
afterAll(async () => {
  await fx?.close();
  await tokens?.close();
});

async function entries(): Promise<{ actor: string; action: string; subject: string; details: string; evidence: Buffer | null }[]> {
  const log = await AuditLog.open({ store: fx.store });
  return (await log.tail(100)).reverse().map((e) => ({ actor: `${e.actorType}:${e.actorId}`, action: e.action, subject: e.subject, details: e.details, evidence: e.evidenceHash }));
}

it('records registration, both issuances, suspension, resumption and revocation with the officer as actor', async () => {
  const cas = await loadCas(tokens.platform, fx.store);
  const ra = new RegistrationAuthority({ store: fx.store, issuer: async () => cas.issuing, record: await raAuditRecorder() });
  const before = (await entries()).length;
  const reg = await ra.register({
    identity: { givenName: 'Aino', familyName: 'Audit', nationalId: '38001010001', birthDate: '1980-01-01' },
    msisdn: '+37255560001',
    label: 'government',
    mode: 'in-person',
    officer: 'officer-7',
    authenticationRequest: await simRequest(tokens.sim),
    signatureRequest: await simRequest(tokens.sim),
  });
  await ra.suspend({ mid: reg.mid, officer: 'officer-8', note: 'lost phone' });
  await ra.reinstate({ mid: reg.mid, officer: 'officer-8' });
  await ra.revoke({ mid: reg.mid, officer: 'officer-9', reason: 'keyCompromise' });
  const logged = (await entries()).slice(before);
  expect(logged.map((e) => `${e.actor} ${e.action}`)).toEqual([
    'operator:officer-7 certificate.issue',
    'operator:officer-7 certificate.issue',
    'operator:officer-7 registration.create',
    'operator:officer-8 certificate.suspend',
    'operator:officer-8 certificate.suspend',
    'operator:officer-8 registration.update',
    'operator:officer-8 certificate.resume',
    'operator:officer-8 certificate.resume',
    'operator:officer-8 registration.update',
    'operator:officer-9 certificate.revoke',
    'operator:officer-9 certificate.revoke',
    'operator:officer-9 registration.update',
  ]);
  expect(logged[0]?.evidence).toEqual(hashEvidence(reg.authentication.der));
  expect(logged[1]?.evidence).toEqual(hashEvidence(reg.signature.der));
  expect(logged[2]?.subject).toBe(reg.mid);
  expect(JSON.parse(logged[2]?.details ?? '{}')).toMatchObject({ msisdn: '+37255560001', registrationMode: 'in-person', maxLevel: 4 });
  // The national identifier never enters the log.
  expect(logged.some((e) => e.details.includes('38001010001'))).toBe(false);
  expect(JSON.parse(logged[9]?.details ?? '{}')).toMatchObject({ reason: 'keyCompromise' });
  expect((await verifyStoredLog(fx.store)).ok).toBe(true);
});

it('rolls the RA change back when its audit entry cannot be written', async () => {
  const cas = await loadCas(tokens.platform, fx.store);
  const failing = new RegistrationAuthority({
    store: fx.store,
    issuer: async () => cas.issuing,
    record: async () => {
      throw new Error('audit store unavailable');
    },
  });
  const request = { identity: { givenName: 'Nils', familyName: 'Nolog', nationalId: 'N1', birthDate: '1990-02-02' }, msisdn: '+37255560002', label: 'bank', mode: 'remote' as const, officer: 'officer-7' };
  await expect(failing.register({ ...request, authenticationRequest: await simRequest(tokens.sim), signatureRequest: await simRequest(tokens.sim) })).rejects.toThrow(/audit store unavailable/);
  const ra = new RegistrationAuthority({ store: fx.store, issuer: async () => cas.issuing });
  expect(await ra.show('+37255560002')).toEqual([]);
});
