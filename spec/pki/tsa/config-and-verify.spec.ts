import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CMS_OID,
  TIME_STAMP_RULES,
  TimeStampAuthority,
  TsaConfigError,
  type TimeStampRule,
  type TimeStampVerifyResult,
  createSignedData,
  createTsa,
  encodeTimeStampQuery,
  encodeTstInfo,
  hsmSigner,
  parseCertificate,
  parseTimeStampResponse,
  trustAnchorFromCertificate,
  verifyTimeStampToken,
} from '../../../src/pki';
import { octetString, oid, sequence } from '../../../src/pki/cms/der-writer';
import { openTestToken, type TestToken } from '../../hsm/support';
import { basicAttributes, handMadeSignedData, issuerAndSerial } from '../cms/support';
import { runOpenssl } from '../support/openssl-pki';
import { type TokenChain, issue, makeTokenChain, writeChainFiles } from '../support/token-pki';
import { TIME_STAMPING, TSA_POLICY, memoryLogger } from './support';

/**
 * What createTsa refuses at start-up (STYLE.md: wrong configuration fails fast, with a clear message), RSA
 * TSA keys, failures inside the TSA (HSM, store) as systemFailure, and each rule of verifyTimeStampToken.
 */
let t: TestToken;
let chain: TokenChain;
const counters = (() => {
  let n = 0n;
  return { next: async () => (n += 1n) };
})();

beforeAll(async () => {
  t = await openTestToken('tsa-config');
  chain = await makeTokenChain(t.hsm, { label: 'tsa-config', leaf: { extendedKeyUsage: { usages: [TIME_STAMPING], critical: true } } });
});

afterAll(async () => {
  await t?.hsm.close();
});

const base = () => ({ hsm: t.hsm, key: chain.leaf.pair.privateKey, certificate: chain.leaf.der, counters, policyOid: TSA_POLICY, logger: memoryLogger().logger });

describe('createTsa checks its configuration', () => {
  it.each([
    ['no extendedKeyUsage', undefined, /no extendedKeyUsage/],
    ['a non-critical extendedKeyUsage', { usages: [TIME_STAMPING], critical: false }, /not critical/],
    ['timeStamping beside another purpose', { usages: [TIME_STAMPING, '1.3.6.1.5.5.7.3.4'], critical: true }, /alone/],
  ] as const)('a certificate with %s', async (_name, eku, message) => {
    const cert = await issue(t.hsm, chain.issuing, `bad tsa ${_name}`, 'ES256', { pair: chain.leaf.pair, ...(eku ? { extendedKeyUsage: eku } : {}) });
    await expect(createTsa({ ...base(), certificate: cert.der })).rejects.toThrow(message);
    await expect(createTsa({ ...base(), certificate: cert.der })).rejects.toBeInstanceOf(TsaConfigError);
  });

  it('a key that is not the certificate key, or no key at all', async () => {
    await expect(createTsa({ ...base(), key: chain.issuing.pair.privateKey })).rejects.toThrow(/is not the key of the TSA certificate/);
    const { key: _key, ...noKey } = base();
    await expect(createTsa(noKey)).rejects.toThrow(/give the TSA key or its label/);
  });

  it.each([
    [{ millis: 1000 }, /1\.\.999/],
    [{ seconds: 0 }, /not be zero/],
    [{ seconds: -1 }, /whole number/],
  ])('accuracy %j', async (accuracy, message) => {
    await expect(createTsa({ ...base(), accuracy })).rejects.toThrow(message);
  });

  it('a policy that is not an OID', async () => {
    await expect(createTsa({ ...base(), policyOid: 'gold' })).rejects.toBeInstanceOf(TsaConfigError);
  });
});

describe('RSA TSA keys', () => {
  it.each([
    ['RS256 (the default for RSA)', undefined],
    ['RS512', 'RS512'],
    ['PS256', 'PS256'],
  ] as const)('%s: our verifier accepts the token; openssl ts -verify too, except for PSS', async (_name, algorithm) => {
    const rsa = await makeTokenChain(t.hsm, { label: `tsa-rsa-${algorithm ?? 'default'}`, caAlgorithm: 'RS256', leafAlgorithm: 'RS256', leaf: { extendedKeyUsage: { usages: [TIME_STAMPING], critical: true } } });
    const files = writeChainFiles(t.dir, `rsa-${algorithm ?? 'default'}`, rsa);
    const tsa = await createTsa({ ...base(), key: rsa.leaf.pair.privateKey, certificate: rsa.leaf.der, chain: [rsa.issuing.der], ...(algorithm ? { algorithm } : {}) });
    const data = randomBytes(64);
    const dataFile = join(t.dir, `rsa-${algorithm ?? 'default'}.bin`);
    writeFileSync(dataFile, data);
    const reply = await tsa.respond(encodeTimeStampQuery({ hash: 'sha256', hashedMessage: createHash('sha256').update(data).digest(), nonce: 77n, certReq: true }));
    const replyFile = `${dataFile}.tsr`;
    writeFileSync(replyFile, reply.der);
    const r = runOpenssl(['ts', '-verify', '-data', dataFile, '-in', replyFile, '-CAfile', files.root]);
    const token = parseTimeStampResponse(reply.der).token as Uint8Array;
    const trustAnchors = [trustAnchorFromCertificate(parseCertificate(rsa.root.der))];
    expect(await verifyTimeStampToken(token, { data, trustAnchors, revocation: { mode: 'off' } })).toMatchObject({ valid: true });
    if (algorithm === 'PS256') {
      // Fact found here: `openssl ts` (OpenSSL 3.0) checks tokens through its PKCS#7 code, which knows only PKCS#1 v1.5
      // for RSA, so a PSS token fails there with "invalid padding". Hence RS256 is the default for RSA TSA keys.
      expect(r.output).toMatch(/Verification: FAILED[\s\S]*invalid padding/);
    } else {
      expect(r.output).toContain('Verification: OK');
      expect(r.status).toBe(0);
    }
  });
});

describe('failures inside the TSA are systemFailure rejections, with the cause only in the log', () => {
  it.each([
    ['the HSM', { sign: async () => Promise.reject(new Error('CKR_DEVICE_ERROR')) }, {}],
    ['the store', {}, { serials: { next: async () => Promise.reject(new Error('SQLITE_BUSY')) } }],
  ] as const)('%s fails', async (_name, signerOverride, settingsOverride) => {
    const { logger, lines } = memoryLogger();
    const signer = { ...hsmSigner(t.hsm, chain.leaf.pair.privateKey, { algorithm: 'ES256', certificate: chain.leaf.der }), ...signerOverride };
    const tsa = new TimeStampAuthority({ signer, serials: { next: counters.next }, policyOid: TSA_POLICY, logger, ...settingsOverride });
    const reply = await tsa.respond(encodeTimeStampQuery({ hash: 'sha256', hashedMessage: Buffer.alloc(32) }));
    const parsed = parseTimeStampResponse(reply.der);
    expect(parsed).toMatchObject({ status: 2, failures: ['systemFailure'] });
    expect(parsed.statusStrings.join(' ')).not.toMatch(/CKR|SQLITE/);
    expect(lines.find((l) => l.msg === 'time-stamp request failed')).toMatchObject({ level: 50, err: { message: expect.stringMatching(/CKR_DEVICE_ERROR|SQLITE_BUSY/) } });
  });
});

describe('verifyTimeStampToken names the rule that failed', () => {
  const seen = new Set<TimeStampRule>();
  const expectRule = (r: TimeStampVerifyResult, rule: TimeStampRule): void => {
    expect(r).toMatchObject({ valid: false, rule });
    seen.add(rule);
  };
  afterAll(() => {
    expect([...seen].sort()).toEqual([...TIME_STAMP_RULES].sort());
  });

  const imprint = Buffer.alloc(32, 9);
  const tstInfo = () =>
    encodeTstInfo({
      policy: TSA_POLICY,
      messageImprint: sequence(sequence(oid('2.16.840.1.101.3.4.2.1')), octetString(imprint)),
      serialNumber: 5n,
      genTime: new Date(),
    });

  it('a good token, then the same with each thing wrong', async () => {
    const tsa = await createTsa(base());
    const { token } = await tsa.timeStamp({ hash: 'sha256', hashedMessage: imprint, nonce: 5n, certReq: true });
    const trust = { trustAnchors: [trustAnchorFromCertificate(parseCertificate(chain.root.der))], intermediates: [chain.issuing.der], revocation: { mode: 'off' as const } };
    expect(await verifyTimeStampToken(token, { ...trust, imprint: { hash: 'sha256', hashedMessage: imprint }, nonce: 5n })).toMatchObject({ valid: true });

    const bad = Buffer.from(token);
    bad[bad.length - 5] = (bad[bad.length - 5] as number) ^ 1;
    expectRule(await verifyTimeStampToken(bad, trust), 'cms');
    expectRule(await verifyTimeStampToken(token, { ...trust, imprint: { hash: 'sha256', hashedMessage: Buffer.alloc(32) } }), 'imprint-mismatch');
    expectRule(await verifyTimeStampToken(token, { ...trust, imprint: { hash: 'sha384', hashedMessage: imprint } }), 'imprint-mismatch');
    expectRule(await verifyTimeStampToken(token, { ...trust, nonce: 6n }), 'nonce-mismatch');
  });

  it('a CMS signature that is not a time-stamp, and one over a TSTInfo that does not parse', async () => {
    const signer = hsmSigner(t.hsm, chain.leaf.pair.privateKey, { algorithm: 'ES256', certificate: chain.leaf.der });
    expectRule(await verifyTimeStampToken(await createSignedData({ content: tstInfo(), signer })), 'not-a-time-stamp');
    expectRule(await verifyTimeStampToken(await createSignedData({ content: Buffer.from([0x30, 0x00]), contentType: CMS_OID.tstInfo, signer })), 'tst-info');
  });

  it('no ESS signing certificate attribute, and a signer without the timeStamping purpose', async () => {
    const leaf = parseCertificate(chain.leaf.der);
    const content = tstInfo();
    const noEss = await handMadeSignedData({
      content,
      contentType: CMS_OID.tstInfo,
      signedAttributes: basicAttributes(content, CMS_OID.tstInfo),
      sid: issuerAndSerial(leaf.issuer.der, leaf.serialNumber),
      sign: (d) => t.hsm.sign('ES256', chain.leaf.pair.privateKey, d),
      certificates: [chain.leaf.der],
    });
    expectRule(await verifyTimeStampToken(noEss), 'signing-certificate');
    const plain = await issue(t.hsm, chain.issuing, 'not a tsa', 'ES256');
    const token = await createSignedData({ content, contentType: CMS_OID.tstInfo, signer: hsmSigner(t.hsm, plain.pair.privateKey, { algorithm: 'ES256', certificate: plain.der }) });
    expectRule(await verifyTimeStampToken(token), 'extended-key-usage');
  });
});
