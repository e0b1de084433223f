import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import {
  ISSUING_CA,
  changeStatus,
  encodeCertId,
  encodeOcspRequest,
  ocspCheck,
  parseCertificate,
  parseCrl,
  parseOcspResponse,
  startPkiRuntime,
  trustAnchorFromCertificate,
  validateCertificate,
  verifyOcspResponse,
  type Certificate,
  type PkiRuntime,
  type RegistrationResult,
} from '../../../src/pki';
import { STORE_ENGINES, type StoreFixture } from '../../store/engines';
import { initTestPki, openPkiTokens, openssl, simRequest, type PkiTokens, type TestPki, writePem } from '../ca/support/pki-fixture';

/**
 * The OCSP responder (RFC 6960) on a real token and both store engines: good / revoked (time, reason) /
 * unknown, SHA-1 and SHA-256 CertIDs, several CertIDs in one request, the nonce echoed, the delegated
 * responder certificate sent along, cached responses dropped by a revocation made here or by another process,
 * and our path validation deciding through its OCSP hook.
 */
describe.each(STORE_ENGINES)('OCSP responder on %s', (engine, engineCase) => {
  let tokens: PkiTokens;
  let fx: StoreFixture;
  let pki: TestPki;
  let runtime: PkiRuntime;
  let citizen: RegistrationResult;
  let issuing: Certificate;

  const register = async (msisdn: string): Promise<RegistrationResult> =>
    runtime.ra.register({
      identity: { givenName: 'Olev', familyName: 'Ocsp', nationalId: msisdn.slice(-6), birthDate: '1990-03-03' },
      msisdn,
      label: 'government',
      mode: 'in-person',
      officer: 'ocsp-spec',
      authenticationRequest: await simRequest(tokens.sim),
      signatureRequest: await simRequest(tokens.sim),
    });
  const certIdOf = (der: Uint8Array, hash: 'sha1' | 'sha256' = 'sha1'): Buffer => {
    const cert = parseCertificate(der);
    return encodeCertId({ issuerName: cert.issuer, issuerKey: issuing.subjectPublicKeyInfo, serialNumber: cert.serialNumber }, hash);
  };
  const ask = async (certIds: Buffer[], nonce?: Buffer) => {
    const reply = await runtime.responder.respond(encodeOcspRequest(certIds, nonce));
    return { reply, parsed: parseOcspResponse(reply.der) };
  };

  beforeAll(async () => {
    tokens = await openPkiTokens(`ocsp-${engine}`);
    fx = await engineCase.fresh();
    pki = await initTestPki(tokens.platform, fx.store);
    runtime = await startPkiRuntime({ hsm: tokens.platform, store: fx.store, pollMs: 60_000, ocspValiditySeconds: 600 });
    issuing = parseCertificate(pki.init.issuing.certificate);
    citizen = await register('+37255520001');
  });
  afterAll(async () => {
    await runtime?.stop();
    await fx?.close();
    await tokens?.close();
  });

  it('answers good for SHA-1 and SHA-256 CertIDs, signed by the delegated responder, with thisUpdate and nextUpdate', async () => {
    for (const hash of ['sha1', 'sha256'] as const) {
      const certId = certIdOf(citizen.signature.der, hash);
      const { reply, parsed } = await ask([certId]);
      expect(reply.status).toBe('successful');
      const single = parsed.basic?.responses[0];
      expect(single?.status).toEqual({ kind: 'good' });
      expect(Buffer.from(single?.certIdDer ?? [])).toEqual(certId);
      expect((single?.nextUpdate ?? 0) - (single?.thisUpdate ?? 0)).toBe(600_000);
      expect(parsed.basic?.certs.map((c) => c.ext.extKeyUsage)).toEqual([['1.3.6.1.5.5.7.3.9']]);
      const verdict = verifyOcspResponse(reply.der, { certId, issuer: { name: issuing.subject, publicKey: issuing.subjectPublicKeyInfo }, time: Date.now() });
      expect(verdict).toMatchObject({ ok: true, signer: 'delegated', status: { kind: 'good' } });
    }
  });

  it('echoes a nonce and signs afresh for it; without one, serves the cached response', async () => {
    const certId = certIdOf(citizen.authentication.der);
    const nonce = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const a = await ask([certId], nonce);
    const b = await ask([certId], nonce);
    expect(a.parsed.basic?.nonce).toEqual(Buffer.concat([Buffer.from([0x04, 0x10]), nonce]));
    expect(a.reply.fromCache).toBe(false);
    expect(b.reply.fromCache).toBe(false);
    expect(a.reply.cacheable).toBeUndefined();
    const c = await ask([certId]);
    const d = await ask([certId]);
    expect(d.reply.fromCache).toBe(true);
    expect(d.reply.der).toEqual(c.reply.der);
    expect(d.reply.cacheable?.etag).toMatch(/^"[0-9a-f]{40}"$/);
  });

  it('answers unknown for a serial it never issued, several CertIDs in one response, and unauthorized for another CA', async () => {
    const cert = parseCertificate(citizen.signature.der);
    const unknownId = encodeCertId({ issuerName: cert.issuer, issuerKey: issuing.subjectPublicKeyInfo, serialNumber: Buffer.from('7fffffffffffffff', 'hex') });
    const { parsed } = await ask([certIdOf(citizen.signature.der), unknownId, certIdOf(citizen.authentication.der, 'sha256')]);
    expect(parsed.basic?.responses.map((r) => r.status.kind)).toEqual(['good', 'unknown', 'good']);
    // The issuing CA certificate is the root's: this responder is not authoritative for it (RFC 5019 §2.2.3).
    const root = parseCertificate(pki.init.root.certificate);
    const rootId = encodeCertId({ issuerName: issuing.issuer, issuerKey: root.subjectPublicKeyInfo, serialNumber: issuing.serialNumber });
    const foreign = await ask([rootId]);
    expect(foreign.reply.status).toBe('unauthorized');
    expect(foreign.reply.der).toEqual(Buffer.from('30030a0106', 'hex'));
  });

  it('reports a hold as revoked with certificateHold, and a revocation with its time and reason, at once', async () => {
    const other = await register('+37255520002');
    const certId = certIdOf(other.signature.der);
    expect((await ask([certId])).parsed.basic?.responses[0]?.status.kind).toBe('good');
    expect((await ask([certId])).reply.fromCache).toBe(true);
    await runtime.ra.suspend({ mid: other.mid, officer: 'ocsp-spec' });
    const held = (await ask([certId])).parsed.basic?.responses[0]?.status;
    expect(held).toMatchObject({ kind: 'revoked', reason: 6 });
    await runtime.ra.revoke({ mid: other.mid, officer: 'ocsp-spec', reason: 'privilegeWithdrawn' });
    const revoked = (await ask([certId])).parsed.basic?.responses[0]?.status;
    expect(revoked).toMatchObject({ kind: 'revoked', reason: 9 });
    expect(Math.abs(((revoked as { revokedAt: number }).revokedAt ?? 0) - Date.now())).toBeLessThan(10_000);
  });

  it('drops a cached good response when another process revokes (seen through the status feed)', async () => {
    const other = await register('+37255520003');
    const certId = certIdOf(other.authentication.der);
    await ask([certId]);
    expect((await ask([certId])).reply.fromCache).toBe(true);
    // What `mssp ra revoke` in another process does: a status row in the store, nothing in this process.
    await fx.store.transaction((tx) => changeStatus(tx, { issuerCa: ISSUING_CA, serial: other.authentication.serialHex, change: { action: 'revoke', reason: 'keyCompromise' }, actor: 'elsewhere' }));
    expect((await ask([certId])).parsed.basic?.responses[0]?.status.kind).toBe('good');
    await runtime.tick();
    const after = await ask([certId]);
    expect(after.reply.fromCache).toBe(false);
    expect(after.parsed.basic?.responses[0]?.status).toMatchObject({ kind: 'revoked', reason: 1 });
  });

  it('gives our path validation what it needs through its OCSP hook: good paths pass, revoked ones are rejected', async () => {
    const transport = (request: Buffer): Promise<Uint8Array> => runtime.responder.respond(request).then((r) => r.der);
    const anchor = trustAnchorFromCertificate(parseCertificate(pki.init.root.certificate));
    // The root does not answer OCSP: the issuing CA certificate's status comes from the root CRL.
    const crls = [parseCrl(runtime.crls.current('root')?.der ?? Buffer.alloc(0))];
    const validate = (der: Uint8Array) =>
      validateCertificate({ target: parseCertificate(der), intermediates: [issuing], trustAnchors: [anchor], time: new Date(), revocation: { mode: 'required', crls, ocsp: ocspCheck({ transport }) } });
    const fresh = await register('+37255520004');
    expect(await validate(fresh.signature.der)).toMatchObject({ valid: true });
    await runtime.ra.revoke({ mid: fresh.mid, officer: 'ocsp-spec', reason: 'keyCompromise' });
    expect(await validate(fresh.signature.der)).toMatchObject({ valid: false, rule: 'revoked', message: expect.stringMatching(/OCSP/) });
  });

  it('is accepted by openssl ocsp reading our response (-respin), including the nonce check', async () => {
    const dir = tokens.dir;
    const reqFile = join(dir, `req-${engine}.der`);
    const respFile = join(dir, `resp-${engine}.der`);
    const leaf = writePem(dir, 'ocsp-leaf.pem', citizen.signature.der);
    const issuingPem = writePem(dir, 'ocsp-issuing.pem', pki.init.issuing.certificate);
    const rootPem = writePem(dir, 'ocsp-root.pem', pki.init.root.certificate);
    expect(openssl(['ocsp', '-issuer', issuingPem, '-cert', leaf, '-reqout', reqFile]).status).toBe(0);
    const { readFileSync } = await import('node:fs');
    const reply = await runtime.responder.respond(readFileSync(reqFile));
    writeFileSync(respFile, reply.der);
    // With -reqin, openssl checks the response's nonce against the request's.
    const withNonce = openssl(['ocsp', '-reqin', reqFile, '-respin', respFile, '-CAfile', rootPem, '-verify_other', issuingPem, '-resp_text']);
    expect(withNonce.output).toMatch(/Response verify OK/);
    expect(withNonce.output).toMatch(/OCSP Nonce/);
    expect(withNonce.output).not.toMatch(/Nonce Verify error|WARNING/);
    // With -cert it reports the status of that certificate (it would make a new nonce, so none is checked).
    const status = openssl(['ocsp', '-respin', respFile, '-issuer', issuingPem, '-cert', leaf, '-CAfile', rootPem, '-verify_other', issuingPem, '-no_nonce']);
    expect(status.output).toMatch(/Response verify OK/);
    expect(status.output).toMatch(/ocsp-leaf\.pem: good/);
  });
});
