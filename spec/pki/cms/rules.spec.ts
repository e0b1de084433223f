import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import {
  CMS_OID,
  CMS_RULES,
  type CmsRule,
  type CmsSigner,
  CmsError,
  type CmsVerifyResult,
  createSignedData,
  hsmSigner,
  parseCertificate,
  trustAnchorFromCertificate,
  verifySignedData,
} from '../../../src/pki';
import { oid, octetString, pkixTime, sequence } from '../../../src/pki/cms/der-writer';
import { openTestToken, type TestToken } from '../../hsm/support';
import { type TokenChain, type TokenCert, issue, makeTokenChain, x509SigningAlgorithm } from '../support/token-pki';
import { attribute, basicAttributes, handMadeSignedData, issuerAndSerial } from './support';

/**
 * One test (at least) per rule of CMS_RULES: each refusal names the rule that failed, and the message says why.
 * Inputs the signer refuses to make are assembled by hand (./support.ts) and signed with the token key.
 */
let t: TestToken;
let chain: TokenChain;
let signer: CmsSigner;
let keyAgreementOnly: TokenCert;
let sameKeyOtherCert: TokenCert;
const content = Buffer.from('Transfer 250.00 EUR to account 12345, ref 2025-001');
const seen = new Set<CmsRule>();

function expectRule(result: CmsVerifyResult, rule: CmsRule, message?: RegExp): void {
  expect(result).toMatchObject({ valid: false, rule });
  if (message !== undefined && !result.valid) expect(result.message).toMatch(message);
  seen.add(rule);
}

const leafCert = () => parseCertificate(chain.leaf.der);
const sid = () => issuerAndSerial(leafCert().issuer.der, leafCert().serialNumber);
const sign = (data: Uint8Array) => t.hsm.sign('ES256', chain.leaf.pair.privateKey, data);

beforeAll(async () => {
  t = await openTestToken('cms-rules');
  chain = await makeTokenChain(t.hsm, { label: 'rules' });
  signer = hsmSigner(t.hsm, chain.leaf.pair.privateKey, { algorithm: 'ES256', certificate: chain.leaf.der, chain: [chain.issuing.der] });
  keyAgreementOnly = await issue(t.hsm, chain.issuing, 'key agreement only', 'ES256', { keyUsage: x509.KeyUsageFlags.keyAgreement });
  sameKeyOtherCert = await issue(t.hsm, chain.issuing, 'same key, other certificate', 'ES256', { pair: chain.leaf.pair });
});

afterAll(async () => {
  await t?.hsm.close();
  // Every rule of the closed list is exercised here (or, for 'path', in openssl-interop.spec.ts too).
  expect([...seen].sort()).toEqual([...CMS_RULES].sort());
});

describe('malformed and limits', () => {
  let der: Buffer;
  beforeAll(async () => {
    der = await createSignedData({ content, signer });
  });

  it.each([
    ['trailing garbage', (d: Buffer) => Buffer.concat([d, Buffer.from([0])]), /trailing bytes/],
    ['truncated', (d: Buffer) => d.subarray(0, d.length - 7), /end|past the end/],
    ['wrongly tagged (SET for SEQUENCE)', (d: Buffer) => Buffer.concat([Buffer.from([0x31]), d.subarray(1)]), /SEQUENCE/],
    ['empty', () => Buffer.alloc(0), /end of data/],
    ['BER indefinite length', (d: Buffer) => Buffer.concat([Buffer.from([0x30, 0x80]), d.subarray(4), Buffer.from([0, 0])]), /indefinite/],
  ] as const)('%s', async (_name, mutate, message) => {
    expectRule(await verifySignedData(mutate(der)), 'malformed', message);
  });

  it('oversized: more than the 16 MiB limit is refused before any parsing', async () => {
    const huge = Buffer.alloc(16 * 1024 * 1024 + 1, 0x30);
    expectRule(await verifySignedData(huge), 'limits', /more than 16777216/);
    expectRule(await verifySignedData(der, { limits: { maxBytes: der.length - 1 } }), 'limits', /more than/);
  });

  it('a ContentInfo that is not SignedData', async () => {
    const data = sequence(oid(CMS_OID.data), Buffer.from([0xa0, 0x03, 0x04, 0x01, 0x78]));
    expectRule(await verifySignedData(data), 'malformed', /not id-signedData/);
  });

  it('a SignedData version that RFC 5652 §5.1 does not allow for its content', async () => {
    const bad = await handMadeSignedData({ content, signedAttributes: basicAttributes(content), sid: sid(), sign, signedDataVersion: 3 });
    expectRule(await verifySignedData(bad, { certificates: [chain.leaf.der] }), 'malformed', /§5\.1 requires 1/);
  });

  it('a SignerInfo version that does not go with its identifier', async () => {
    const bad = await handMadeSignedData({ content, signedAttributes: basicAttributes(content), sid: sid(), signerVersion: 3, signedDataVersion: 3, sign });
    expectRule(await verifySignedData(bad), 'malformed', /version 3 for a signer identified by issuerAndSerialNumber/);
  });

  it('size bounds', async () => {
    expectRule(await verifySignedData(der, { limits: { maxBytes: 100 } }), 'limits', /more than 100/);
    expectRule(await verifySignedData(der, { limits: { maxCertificates: 1 } }), 'limits', /certificates/);
  });

  it('a certificate in the SignedData that does not parse', async () => {
    const bad = await handMadeSignedData({ content, signedAttributes: basicAttributes(content), sid: sid(), sign, certificates: [sequence(Buffer.from([0x02, 0x01, 0x01]))] });
    expectRule(await verifySignedData(bad), 'malformed', /certificates\[0\]/);
  });
});

describe('content and signers', () => {
  it('a detached signature without its content, and content given twice', async () => {
    const detached = await createSignedData({ content, signer, detached: true });
    expectRule(await verifySignedData(detached), 'content', /detached/);
    const attached = await createSignedData({ content, signer });
    expectRule(await verifySignedData(attached, { detachedContent: content }), 'content', /too/);
  });

  it('no SignerInfo', async () => {
    const none = await handMadeSignedData({ content, signedAttributes: [], sid: sid(), sign, noSigner: true });
    expectRule(await verifySignedData(none), 'no-signer');
  });

  it('no certificate for the signer', async () => {
    const der = await createSignedData({ content, signer, certificates: 'none' });
    expectRule(await verifySignedData(der), 'signer-certificate-not-found', /issuerAndSerialNumber/);
    const bySki = await createSignedData({ content, signer, certificates: 'none', signerIdentifier: 'subjectKeyIdentifier' });
    expectRule(await verifySignedData(bySki, { certificates: [chain.issuing.der] }), 'signer-certificate-not-found', /subjectKeyIdentifier/);
    expect(await verifySignedData(bySki, { certificates: [chain.leaf.der] })).toMatchObject({ valid: true });
  });
});

describe('signed attributes', () => {
  const cases: ReadonlyArray<[string, () => Buffer[], RegExp]> = [
    ['messageDigest missing', () => [attribute(CMS_OID.contentType, oid(CMS_OID.data))], /messageDigest attribute is missing/],
    ['contentType missing', () => [basicAttributes(content)[1] as Buffer], /contentType attribute is missing/],
    ['contentType twice', () => [...basicAttributes(content), attribute(CMS_OID.contentType, oid(CMS_OID.data))], /more than once/],
    ['messageDigest with two values', () => [attribute(CMS_OID.contentType, oid(CMS_OID.data)), attribute(CMS_OID.messageDigest, octetString(Buffer.alloc(32)), octetString(Buffer.alloc(32, 1)))], /exactly one value/],
    ['countersignature among the signed attributes', () => [...basicAttributes(content), attribute(CMS_OID.countersignature, sequence())], /countersignature/],
    ['signingTime that is not a time', () => [...basicAttributes(content), attribute(CMS_OID.signingTime, octetString(Buffer.from('yesterday')))], /UTCTime or GeneralizedTime/],
    ['messageDigest that is not an OCTET STRING', () => [attribute(CMS_OID.contentType, oid(CMS_OID.data)), attribute(CMS_OID.messageDigest, oid('1.2.3'))], /OCTET STRING/],
  ];

  it.each(cases)('%s', async (_name, attrs, message) => {
    const der = await handMadeSignedData({ content, signedAttributes: attrs(), sid: sid(), sign, certificates: [chain.leaf.der] });
    expectRule(await verifySignedData(der), 'signed-attributes', message);
  });

  it('no signed attributes: fine for id-data (the signature covers the content), refused for other content types', async () => {
    const plain = await handMadeSignedData({ content, sid: sid(), sign, certificates: [chain.leaf.der] });
    expect(await verifySignedData(plain)).toMatchObject({ valid: true, signedAttributes: [] });
    const tst = await handMadeSignedData({ content, contentType: CMS_OID.tstInfo, sid: sid(), sign, certificates: [chain.leaf.der] });
    expectRule(await verifySignedData(tst), 'signed-attributes', /needs signed attributes/);
  });

  it('contentType attribute differs from eContentType', async () => {
    const der = await handMadeSignedData({ content, contentType: CMS_OID.tstInfo, signedAttributes: basicAttributes(content, CMS_OID.data), sid: sid(), sign, certificates: [chain.leaf.der] });
    expectRule(await verifySignedData(der), 'content-type-mismatch');
  });

  it('messageDigest of other content', async () => {
    const der = await handMadeSignedData({ content, signedAttributes: basicAttributes(Buffer.from('other')), sid: sid(), sign, certificates: [chain.leaf.der] });
    expectRule(await verifySignedData(der), 'message-digest-mismatch');
  });

  it('signingCertificateV2 naming another certificate of the same key', async () => {
    // Signed with certificate A (its hash is in the ESS attribute), identified by key identifier, carrying B only.
    const der = await createSignedData({ content, signer, certificates: 'none', signerIdentifier: 'subjectKeyIdentifier' });
    expectRule(await verifySignedData(der, { certificates: [sameKeyOtherCert.der] }), 'signing-certificate-mismatch', /certHash/);
    // With both present the ESS attribute picks A.
    const both = await verifySignedData(der, { certificates: [sameKeyOtherCert.der, chain.leaf.der] });
    expect(both).toMatchObject({ valid: true });
    if (both.valid) expect(Buffer.from(both.signer.certificate.der).equals(chain.leaf.der)).toBe(true);
  });
});

describe('algorithms, signature, key usage, path', () => {
  it('a signature algorithm whose hash differs from the digest algorithm', async () => {
    const der = await handMadeSignedData({
      content,
      signedAttributes: basicAttributes(content),
      sid: sid(),
      sign,
      certificates: [chain.leaf.der],
      signatureAlgorithm: sequence(oid('1.2.840.10045.4.3.3')),
    });
    expectRule(await verifySignedData(der), 'unsupported-algorithm', /sha384 but the digest algorithm is sha256/);
  });

  it('a signature by another key', async () => {
    const der = await handMadeSignedData({
      content,
      signedAttributes: basicAttributes(content),
      sid: sid(),
      sign: (data) => t.hsm.sign('ES256', chain.issuing.pair.privateKey, data),
      certificates: [chain.leaf.der],
    });
    expectRule(await verifySignedData(der), 'signature', /does not verify/);
  });

  it('a signer certificate whose keyUsage allows neither digitalSignature nor nonRepudiation', async () => {
    const s = hsmSigner(t.hsm, keyAgreementOnly.pair.privateKey, { algorithm: 'ES256', certificate: keyAgreementOnly.der });
    expectRule(await verifySignedData(await createSignedData({ content, signer: s })), 'key-usage');
  });

  it('path: without a revocation source the default (required) rejects; with one it passes', async () => {
    const der = await createSignedData({ content, signer });
    const trustAnchors = [trustAnchorFromCertificate(parseCertificate(chain.root.der))];
    const r = await verifySignedData(der, { trustAnchors });
    expectRule(r, 'path', /crl-unavailable/);
    expect(r).toMatchObject({ path: { rule: 'crl-unavailable' } });
    expect(await verifySignedData(der, { trustAnchors, revocation: { mode: 'off' } })).toMatchObject({ valid: true, pathValidated: true });
    // Validity: the path is checked at the time asked for.
    const late = await verifySignedData(der, { trustAnchors, revocation: { mode: 'off' }, time: new Date(Date.now() + 400 * 86_400_000) });
    expect(late).toMatchObject({ valid: false, rule: 'path', path: { rule: 'validity' } });
  });
});

describe('createSignedData refuses what it cannot sign correctly, with a typed error', () => {
  it.each([
    ['an algorithm for another key type', { algorithm: 'RS256' as const }, 'unsupported-algorithm'],
    ['a certificate that does not parse', { certificate: Buffer.from([0x30, 0x00]) }, 'malformed'],
    ['a signer that returns raw r‖s instead of DER', { sign: async () => Buffer.alloc(64, 1) }, 'signature'],
  ] as const)('%s', async (_name, override, rule) => {
    await expect(createSignedData({ content, signer: { ...signer, ...override } })).rejects.toMatchObject({ name: 'CmsError', rule });
  });

  it('extra attributes that repeat ours, repeat each other or are not DER', async () => {
    const st = { oid: CMS_OID.signingTime, values: [pkixTime(new Date())] };
    await expect(createSignedData({ content, signer, extraSignedAttributes: [st] })).rejects.toMatchObject({ rule: 'signed-attributes' });
    const x = { oid: '1.2.3.4', values: [oid('1.2.3')] };
    await expect(createSignedData({ content, signer, extraSignedAttributes: [x, x] })).rejects.toMatchObject({ rule: 'signed-attributes' });
    await expect(createSignedData({ content, signer, extraSignedAttributes: [{ oid: '1.2.3.4', values: [Buffer.from([0x04, 0x05, 0x01])] }] })).rejects.toBeInstanceOf(CmsError);
  });

  it('a key identifier for a certificate without subjectKeyIdentifier', async () => {
    const noSki = { ...signer, certificate: await certificateWithoutSki() };
    await expect(createSignedData({ content, signer: noSki, signerIdentifier: 'subjectKeyIdentifier' })).rejects.toMatchObject({ rule: 'signer-certificate-not-found' });
  });
});

async function certificateWithoutSki(): Promise<Buffer> {
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: '7f01',
      subject: 'CN=no ski',
      issuer: chain.issuing.cert.subject,
      publicKey: chain.leaf.keys.publicKey,
      signingKey: chain.issuing.keys.privateKey,
      signingAlgorithm: x509SigningAlgorithm('ES256'),
      // One extension, so that the certificate is v3 with a non-empty extensions field, just no subjectKeyIdentifier.
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
    },
    t.hsm.crypto,
  );
  return Buffer.from(cert.rawData);
}

// Keeps the GeneralizedTime path of the writer honest here too: signingTime in 2050 must not be UTCTime.
test('signingTime from 2050 on is GeneralizedTime (RFC 5652 §11.3)', async () => {
  const der = await createSignedData({ content, signer, signingTime: new Date(Date.UTC(2051, 0, 2, 3, 4, 5)) });
  const r = await verifySignedData(der);
  expect(r).toMatchObject({ valid: true });
  if (r.valid) expect(r.signingTime?.toISOString()).toBe('2051-01-02T03:04:05.000Z');
});
