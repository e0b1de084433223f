import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import {
  AuditLog,
  auditPublicKey,
  buildEvidenceBundle,
  hashEvidence,
  openAuditSigner,
  transactionSubject,
  verifyEvidenceBundle,
  type EvidenceBundle,
} from '../../src/audit';
import { pkiEvidenceChecks } from '../../src/cli/evidence-checks';
import { createLogger } from '../../src/log';
import { createSignedData, createTsa, encodeCertId, encodeOcspRequest, hsmSigner, latestServiceCertificate, parseCertificate, PKI_KEY_LABELS, startPkiRuntime, type PkiRuntime, type RegistrationResult } from '../../src/pki';
import type { HsmKeyPair } from '../../src/hsm';
import { initTestPki, openPkiTokens, openssl, simRequest, toPem, writePem, type PkiTokens, type TestPki } from '../pki/ca/support/pki-fixture';
import { sqliteEngine, type StoreFixture } from '../store/engines';
import { cliEnv, runMssp } from '../support/mssp-cli';

/**
 * An evidence bundle made of real parts — a citizen's signature made in the SIM's token with the certificate the
 * RA issued, the OCSP response our responder gave, a token from our TSA, the transaction's audit entries with
 * inclusion proofs against an HSM-signed checkpoint — checked by `mssp evidence verify` with only the root and the
 * audit key, by openssl part by part, and refused whenever any part is altered.
 */

let tokens: PkiTokens;
let fx: StoreFixture;
let pki: TestPki;
let runtime: PkiRuntime;
let citizen: RegistrationResult;
let bundle: EvidenceBundle;
let auditSpki: Buffer;
let revokedCitizen: RegistrationResult;
const DATA = Buffer.from('I agree to the terms of loan 2026-0042: 1,500.00 EUR over 24 months.\n');
const TX = 'f3b9c2d0-evidence-0001';

/** A key pair in the SIM token and a PKCS#10 request signed by it; the pair is kept to sign with later. */
async function simKeyAndRequest(): Promise<{ pair: HsmKeyPair; request: Buffer }> {
  const pair = await tokens.sim.generateKeyPair({ type: 'EC', curve: 'P-256' }, { label: `evidence-sign-${Date.now()}` });
  const keys = await tokens.sim.cryptoKeyPair(pair, 'ES256');
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=SIM', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } }, tokens.sim.crypto);
  return { pair, request: Buffer.from(csr.rawData) };
}

async function ocspFor(certDer: Uint8Array): Promise<Buffer> {
  const cert = parseCertificate(certDer);
  const certId = encodeCertId({ issuerName: cert.issuer, issuerKey: parseCertificate(pki.init.issuing.certificate).subjectPublicKeyInfo, serialNumber: cert.serialNumber });
  return (await runtime.responder.respond(encodeOcspRequest([certId]))).der;
}

beforeAll(async () => {
  tokens = await openPkiTokens('evidence');
  fx = await sqliteEngine.fresh();
  pki = await initTestPki(tokens.platform, fx.store);
  runtime = await startPkiRuntime({ hsm: tokens.platform, store: fx.store, pollMs: 60_000 });
  const signing = await simKeyAndRequest();
  citizen = await runtime.ra.register({
    identity: { givenName: 'Eve', familyName: 'Evidence', nationalId: 'E1', birthDate: '1980-01-01' },
    msisdn: '+37255550001',
    label: 'government',
    mode: 'in-person',
    officer: 'evidence-spec',
    authenticationRequest: await simRequest(tokens.sim),
    signatureRequest: signing.request,
  });
  const issuing = pki.init.issuing.certificate;
  const signature = await createSignedData({
    content: DATA,
    detached: true,
    signer: hsmSigner(tokens.sim, signing.pair.privateKey, { algorithm: 'ES256', certificate: citizen.signature.der, chain: [issuing] }),
  });
  const ocspResponse = await ocspFor(citizen.signature.der);
  const tsaCert = await latestServiceCertificate(fx.store, 'tsa');
  const tsa = await createTsa({ hsm: tokens.platform, keyLabel: PKI_KEY_LABELS.tsa, certificate: (tsaCert as { der: Buffer }).der, chain: [issuing], counters: fx.store.counters, policyOid: '1.2.3.4.5', logger: createLogger({ level: 'silent' }) });
  const timeStampToken = await tsa.stamp(createHash('sha256').update(signature).digest());

  const { signer } = await openAuditSigner(tokens.platform, { keys: fx.store.keys });
  auditSpki = (await auditPublicKey(tokens.platform)) as Buffer;
  const log = await AuditLog.open({ store: fx.store, signer });
  const subject = transactionSubject(TX);
  await log.append({ actor: { type: 'ap', id: 'bank-1' }, action: 'ap.request', subject, outcome: '100 REQUEST_OK', details: { operation: 'MSS_Signature' } });
  await log.append({ actor: { type: 'ap', id: 'bank-2' }, action: 'ap.request', subject: transactionSubject('someone-else'), outcome: '100 REQUEST_OK' });
  await log.append({ actor: { type: 'citizen', id: citizen.mid }, action: 'transaction.state', subject, outcome: '502 VALID_SIGNATURE', evidenceHash: hashEvidence(signature) });
  await log.checkpoint();
  const proven = await log.entriesWithProof(await log.seqsAbout(subject));
  bundle = buildEvidenceBundle(
    { transaction: { id: TX, apId: 'bank-1', mid: citizen.mid, status: '502 VALID_SIGNATURE' }, signedData: DATA, signature, certificates: [citizen.signature.der, issuing], ocspResponse, timeStampToken },
    proven,
  );
  revokedCitizen = await runtime.ra.register({
    identity: { givenName: 'Rex', familyName: 'Revoked', nationalId: 'R1', birthDate: '1970-01-01' },
    msisdn: '+37255550002',
    label: 'government',
    mode: 'in-person',
    officer: 'evidence-spec',
    authenticationRequest: await simRequest(tokens.sim),
    signatureRequest: await simRequest(tokens.sim),
  });
  await runtime.ra.revoke({ mid: revokedCitizen.mid, officer: 'evidence-spec', reason: 'keyCompromise' });
}, 60_000);
afterAll(async () => {
  await runtime?.stop();
  await fx?.close();
  await tokens?.close();
});

const verify = (b: unknown, keys: Buffer[] = [auditSpki]) => verifyEvidenceBundle(b, { trustedAuditKeys: keys, pki: pkiEvidenceChecks([pki.init.root.certificate]) });
const b64 = (x: Uint8Array): string => Buffer.from(x).toString('base64');
const flip = (base64: string, at = 20): string => {
  const bytes = Buffer.from(base64, 'base64');
  bytes[bytes.length - at] = (bytes[bytes.length - at] as number) ^ 0x01;
  return bytes.toString('base64');
};

it('holds only the transaction\'s own entries and passes every check', async () => {
  expect(bundle.audit.entries.map((e) => e.entry.subject)).toEqual([`transaction:${TX}`, `transaction:${TX}`]);
  const verdict = await verify(bundle);
  expect(verdict.checks.filter((c) => !c.ok)).toEqual([]);
  expect(verdict.checks.map((c) => c.part)).toEqual(expect.arrayContaining(['signature', 'ocsp', 'timestamp', 'audit']));
  expect(verdict.ok).toBe(true);
});

it('`mssp evidence verify` accepts it with the root and audit key, and exits 1 with the wrong audit key', () => {
  const dir = tokens.dir;
  const file = join(dir, 'bundle.json');
  writeFileSync(file, JSON.stringify(bundle, null, 2));
  const root = writePem(dir, 'ev-root.pem', pki.init.root.certificate);
  writeFileSync(join(dir, 'audit.pem'), toPem(auditSpki, 'PUBLIC KEY'));
  const env = cliEnv();
  const ok = runMssp(['evidence', 'verify', file, '--ca', root, '--audit-key', join(dir, 'audit.pem')], env);
  expect(ok.stdout).toMatch(/^evidence verified$/m);
  expect(ok.stdout).not.toMatch(/^FAIL/m);
  expect(ok.code).toBe(0);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'other.key')]);
  openssl(['ec', '-in', join(dir, 'other.key'), '-pubout', '-out', join(dir, 'other.pub.pem')]);
  const wrongKey = runMssp(['evidence', 'verify', file, '--ca', root, '--audit-key', join(dir, 'other.pub.pem')], env);
  expect(wrongKey.stdout).toMatch(/^FAIL audit: checkpoint \d+ is signed by a key that is not a trusted audit key$/m);
  expect(wrongKey.stdout).toMatch(/^evidence NOT verified$/m);
  expect(wrongKey.code).toBe(1);
  const garbage = join(dir, 'garbage.json');
  writeFileSync(garbage, '{"format":"mssp-evidence/1"');
  const bad = runMssp(['evidence', 'verify', garbage, '--ca', root, '--audit-key', join(dir, 'audit.pem')], env);
  expect(bad.code).toBe(1);
  expect(bad.stderr.trim()).toMatch(/^mssp: .*garbage\.json is not a JSON evidence bundle/);
});

it('has parts openssl checks on its own: cms -verify, ocsp -respin, ts -verify', () => {
  const dir = tokens.dir;
  const put = (name: string, base64: string): string => {
    const file = join(dir, name);
    writeFileSync(file, Buffer.from(base64, 'base64'));
    return file;
  };
  const root = writePem(dir, 'ev-root.pem', pki.init.root.certificate);
  const issuing = writePem(dir, 'ev-issuing.pem', pki.init.issuing.certificate);
  const signer = writePem(dir, 'ev-signer.pem', citizen.signature.der);
  const data = put('ev-data.bin', bundle.signedData as string);
  const sig = put('ev-sig.der', bundle.signature);
  const cms = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', data, '-CAfile', root, '-purpose', 'any', '-out', join(dir, 'ev-out.bin')]);
  expect(cms.output).toMatch(/Verification successful/);
  const ocsp = openssl(['ocsp', '-respin', put('ev-ocsp.der', bundle.ocspResponse as string), '-issuer', issuing, '-cert', signer, '-CAfile', root, '-verify_other', issuing]);
  expect(ocsp.output).toMatch(/Response verify OK/);
  expect(ocsp.output).toMatch(/ev-signer\.pem: good/);
  const ts = openssl(['ts', '-verify', '-data', sig, '-in', put('ev-tst.der', bundle.timeStampToken as string), '-token_in', '-CAfile', root, '-untrusted', issuing]);
  expect(ts.output).toMatch(/Verification: OK/);
});

describe('refuses a bundle with any part altered', () => {
  const cases: [string, (b: EvidenceBundle) => EvidenceBundle, RegExp][] = [
    ['other signed data', (b) => ({ ...b, signedData: b64(Buffer.from('I agree to 15,000.00 EUR')) }), /^signature: the CMS signature does not verify/],
    ['a flipped signature byte', (b) => ({ ...b, signature: flip(b.signature, 5) }), /^(signature|timestamp|audit): /],
    ['the OCSP response left out', (b) => ({ ...b, ocspResponse: null }), /^ocsp: the bundle has no OCSP response/],
    ['a flipped OCSP response byte', (b) => ({ ...b, ocspResponse: flip(b.ocspResponse as string, 10) }), /^ocsp: the OCSP response does not prove/],
    ['a time-stamp over other data', (b) => ({ ...b, timeStampToken: b.timeStampToken === null ? null : flip(b.timeStampToken, 200) }), /^timestamp: the time-stamp token does not verify/],
    ['an edited audit entry', (b) => ({ ...b, audit: { ...b.audit, entries: b.audit.entries.map((e, i) => (i === 1 ? { ...e, entry: { ...e.entry, outcome: '401 USER_CANCEL' } } : e)) } }), /^audit: entry \d+: its content does not match its leaf hash/],
    ['a forged checkpoint root', (b) => ({ ...b, audit: { ...b.audit, checkpoint: { ...b.audit.checkpoint, body: b.audit.checkpoint.body.replace(/\n[A-Za-z0-9+/=]{44}\n/, `\n${b64(Buffer.alloc(32, 7))}\n`) } } }), /^audit: checkpoint \d+: signature INVALID/],
    ['the entry tying the signature removed', (b) => ({ ...b, audit: { ...b.audit, entries: b.audit.entries.slice(0, 1) } }), /^audit: no included entry records SHA-256 of this signature/],
  ];
  it.each(cases)('%s', async (_what, alter, expected) => {
    const verdict = await verify(alter(bundle));
    expect(verdict.ok).toBe(false);
    expect(verdict.checks.filter((c) => !c.ok).map((c) => `${c.part}: ${c.message}`)).toContainEqual(expect.stringMatching(expected));
  });

  it('an OCSP response for a revoked certificate', async () => {
    const ocspResponse = b64(await ocspFor(revokedCitizen.signature.der));
    const verdict = await verify({ ...bundle, ocspResponse });
    expect(verdict.ok).toBe(false);
    expect(verdict.checks.find((c) => c.part === 'ocsp')?.message).toMatch(/does not prove|revoked/);
  });

  it('malformed bundles with a typed error naming the field', async () => {
    await expect(verify({ ...bundle, format: 'other/1' })).rejects.toMatchObject({ code: 'BAD_ENTRY', message: expect.stringMatching(/format/) });
    await expect(verify({ ...bundle, signature: '***' })).rejects.toMatchObject({ code: 'BAD_ENTRY', message: expect.stringMatching(/signature must be base64/) });
    await expect(verify({ ...bundle, certificates: 'x' })).rejects.toMatchObject({ code: 'BAD_ENTRY' });
    await expect(verify(null)).rejects.toMatchObject({ code: 'BAD_ENTRY' });
  });
});
