import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SignatureAlgorithmName } from '../../../src/hsm';
import {
  type RevocationSettings,
  createSignedData,
  hsmSigner,
  parseCertificate,
  parseSignedData,
  trustAnchorFromCertificate,
  verifySignedData,
} from '../../../src/pki';
import { openTestToken, type TestToken } from '../../hsm/support';
import { type OpensslChain, type OpensslKeyType, makeOpensslChain, readBytes, runOpenssl } from '../support/openssl-pki';
import { type TokenChain, makeTokenChain, writeChainFiles } from '../support/token-pki';

/**
 * OpenSSL is the independent verifier and the independent signer: CMS we make with a key in the token
 * verifies with `openssl cms -verify -purpose any`, CMS `openssl cms -sign` makes verifies with ours, and a
 * tampered content, signature or chain fails in both.
 */
const GOOD_OCSP: RevocationSettings = { mode: 'required', ocsp: async () => 'good' };

let t: TestToken;
const chains = new Map<string, TokenChain>();
const CHAIN_SPECS: ReadonlyArray<[string, SignatureAlgorithmName, SignatureAlgorithmName]> = [
  ['p256', 'ES256', 'ES256'],
  ['p384', 'ES384', 'ES384'],
  ['rsa', 'RS256', 'RS256'],
];

beforeAll(async () => {
  t = await openTestToken('cms-interop');
  for (const [name, ca, leaf] of CHAIN_SPECS) chains.set(name, await makeTokenChain(t.hsm, { label: `interop-${name}`, caAlgorithm: ca, leafAlgorithm: leaf }));
});

afterAll(async () => {
  await t?.hsm.close();
});

function chainOf(name: string): TokenChain {
  const c = chains.get(name);
  if (c === undefined) throw new Error(`no chain ${name}`);
  return c;
}

let fileNo = 0;
function files(der: Uint8Array, content: Uint8Array): { sig: string; data: string } {
  fileNo += 1;
  const sig = join(t.dir, `sig-${fileNo}.der`);
  const data = join(t.dir, `data-${fileNo}.bin`);
  writeFileSync(sig, der);
  writeFileSync(data, content);
  return { sig, data };
}

function opensslVerify(der: Uint8Array, content: Uint8Array, detached: boolean, caFile: string): { ok: boolean; output: string } {
  const f = files(der, content);
  const out = join(t.dir, `out-${fileNo}.bin`);
  const args = ['cms', '-verify', '-purpose', 'any', '-binary', '-inform', 'DER', '-in', f.sig, '-CAfile', caFile, '-out', out];
  if (detached) args.push('-content', f.data);
  const r = runOpenssl(args);
  const ok = r.status === 0 && r.output.includes('Verification successful');
  if (ok) expect(readBytes(out).equals(Buffer.from(content))).toBe(true);
  return { ok, output: r.output };
}

/** The offset of a sub-view inside the buffer it was taken from. */
const offsetIn = (outer: Uint8Array, inner: Uint8Array): number => inner.byteOffset - outer.byteOffset;

describe('our CMS verifies with openssl cms -verify', () => {
  const CASES: ReadonlyArray<[string, string, SignatureAlgorithmName, boolean, 'issuerAndSerialNumber' | 'subjectKeyIdentifier']> = [
    ['P-256 attached', 'p256', 'ES256', false, 'issuerAndSerialNumber'],
    ['P-256 detached', 'p256', 'ES256', true, 'subjectKeyIdentifier'],
    ['P-384 attached', 'p384', 'ES384', false, 'subjectKeyIdentifier'],
    ['P-384 detached', 'p384', 'ES384', true, 'issuerAndSerialNumber'],
    ['RSA PKCS#1 v1.5 attached', 'rsa', 'RS256', false, 'issuerAndSerialNumber'],
    ['RSA PKCS#1 v1.5 SHA-512 detached', 'rsa', 'RS512', true, 'issuerAndSerialNumber'],
    ['RSA-PSS attached', 'rsa', 'PS256', false, 'subjectKeyIdentifier'],
    ['RSA-PSS SHA-384 detached', 'rsa', 'PS384', true, 'issuerAndSerialNumber'],
  ];

  it.each(CASES)('%s: openssl and ours accept it; tampered content, signature or chain fail in both', async (_name, chainName, algorithm, detached, sid) => {
    const chain = chainOf(chainName);
    const files0 = writeChainFiles(t.dir, chainName, chain);
    const content = Buffer.concat([Buffer.from('Pay 100.00 EUR to ACME Bank, ref '), randomBytes(200)]);
    const signer = hsmSigner(t.hsm, chain.leaf.pair.privateKey, { algorithm, certificate: chain.leaf.der, chain: [chain.issuing.der] });
    const der = await createSignedData({ content, detached, signer, signerIdentifier: sid });

    const anchors = [trustAnchorFromCertificate(parseCertificate(chain.root.der))];
    const ours = await verifySignedData(der, { ...(detached ? { detachedContent: content } : {}), trustAnchors: anchors, revocation: GOOD_OCSP });
    expect(ours).toMatchObject({ valid: true, pathValidated: true });
    if (ours.valid) expect(ours.certificatePath?.map((c) => c.der.length)).toEqual([chain.issuing.der.length, chain.leaf.der.length]);
    expect(opensslVerify(der, content, detached, files0.root)).toMatchObject({ ok: true });

    // Tampered content.
    const other = Buffer.from(content);
    other[5] = (other[5] as number) ^ 1;
    let tamperedContentDer: Uint8Array = der;
    if (!detached) {
      const sd = parseSignedData(der);
      const at = offsetIn(der, sd.content as Uint8Array) + 5;
      tamperedContentDer = Buffer.from(der);
      (tamperedContentDer as Buffer)[at] = ((tamperedContentDer as Buffer)[at] as number) ^ 1;
    }
    const badContent = await verifySignedData(tamperedContentDer, { ...(detached ? { detachedContent: other } : {}), trustAnchors: anchors, revocation: GOOD_OCSP });
    expect(badContent).toMatchObject({ valid: false, rule: 'message-digest-mismatch' });
    expect(opensslVerify(tamperedContentDer, other, detached, files0.root).ok).toBe(false);

    // Tampered signature (a byte in the middle of the signature value).
    const si = parseSignedData(der).signerInfos[0];
    const sigAt = offsetIn(der, si?.signature as Uint8Array) + 20;
    const badSigDer = Buffer.from(der);
    badSigDer[sigAt] = (badSigDer[sigAt] as number) ^ 0x40;
    const badSig = await verifySignedData(badSigDer, { ...(detached ? { detachedContent: content } : {}), trustAnchors: anchors, revocation: GOOD_OCSP });
    expect(badSig).toMatchObject({ valid: false, rule: 'signature' });
    expect(opensslVerify(badSigDer, content, detached, files0.root).ok).toBe(false);

    // Another chain's root as the only trust anchor.
    const stranger = chainOf(chainName === 'p256' ? 'p384' : 'p256');
    const strangerFiles = writeChainFiles(t.dir, `stranger-${chainName}`, stranger);
    const badChain = await verifySignedData(der, {
      ...(detached ? { detachedContent: content } : {}),
      trustAnchors: [trustAnchorFromCertificate(parseCertificate(stranger.root.der))],
      revocation: GOOD_OCSP,
    });
    expect(badChain).toMatchObject({ valid: false, rule: 'path', path: { rule: 'no-path' } });
    expect(opensslVerify(der, content, detached, strangerFiles.root).ok).toBe(false);
  });

  it('only the signer certificate in the message: openssl with -CAfile of the whole chain, ours with the issuing CA given', async () => {
    const chain = chainOf('p256');
    const files0 = writeChainFiles(t.dir, 'signer-only', chain);
    const content = randomBytes(64);
    const signer = hsmSigner(t.hsm, chain.leaf.pair.privateKey, { algorithm: 'ES256', certificate: chain.leaf.der, chain: [chain.issuing.der] });
    const der = await createSignedData({ content, signer, certificates: 'signer' });
    expect(opensslVerify(der, content, false, files0.all)).toMatchObject({ ok: true });
    expect(opensslVerify(der, content, false, files0.root).ok).toBe(false);
    const trustAnchors = [trustAnchorFromCertificate(parseCertificate(chain.root.der))];
    expect(await verifySignedData(der, { trustAnchors, revocation: GOOD_OCSP })).toMatchObject({ valid: false, rule: 'path', path: { rule: 'no-path' } });
    expect(await verifySignedData(der, { trustAnchors, intermediates: [chain.issuing.der], revocation: GOOD_OCSP })).toMatchObject({ valid: true });
  });

  it('a revoked signer certificate (OCSP hook) fails the path', async () => {
    const chain = chainOf('p256');
    const signer = hsmSigner(t.hsm, chain.leaf.pair.privateKey, { algorithm: 'ES256', certificate: chain.leaf.der, chain: [chain.issuing.der] });
    const der = await createSignedData({ content: Buffer.from('x'), signer });
    const leafSerial = parseCertificate(chain.leaf.der).serialNumber;
    const r = await verifySignedData(der, {
      trustAnchors: [trustAnchorFromCertificate(parseCertificate(chain.root.der))],
      revocation: { mode: 'required', ocsp: async (cert) => (Buffer.from(cert.serialNumber).equals(Buffer.from(leafSerial)) ? 'revoked' : 'good') },
    });
    expect(r).toMatchObject({ valid: false, rule: 'path', path: { rule: 'revoked' } });
  });
});

describe('CMS made by openssl cms -sign verifies with ours', () => {
  const opensslChains = new Map<OpensslKeyType, OpensslChain>();
  const chainFor = (type: OpensslKeyType): OpensslChain => {
    let c = opensslChains.get(type);
    if (c === undefined) {
      c = makeOpensslChain(t.dir, `osl-${type}`, type);
      opensslChains.set(type, c);
    }
    return c;
  };

  const CASES: ReadonlyArray<[string, OpensslKeyType, string[], boolean]> = [
    ['RSA sha256 detached', 'rsa', ['-md', 'sha256'], true],
    ['RSA sha384 attached', 'rsa', ['-md', 'sha384'], false],
    ['RSA sha512 attached', 'rsa', ['-md', 'sha512'], false],
    ['RSA-PSS sha256 attached', 'rsa', ['-md', 'sha256', '-keyopt', 'rsa_padding_mode:pss'], false],
    ['RSA-PSS sha512 detached', 'rsa', ['-md', 'sha512', '-keyopt', 'rsa_padding_mode:pss'], true],
    ['RSA-PSS sha384, salt = digest length', 'rsa', ['-md', 'sha384', '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:digest'], false],
    ['EC P-256 sha256 detached', 'ec-p256', ['-md', 'sha256'], true],
    ['EC P-256 sha384 attached', 'ec-p256', ['-md', 'sha384'], false],
    ['EC P-384 sha512 attached', 'ec-p384', ['-md', 'sha512'], false],
    ['EC P-384 sha384 detached, key identifier', 'ec-p384', ['-md', 'sha384', '-keyid'], true],
  ];

  it.each(CASES)('%s', async (_name, type, extra, detached) => {
    const chain = chainFor(type);
    const content = randomBytes(300);
    const f = files(new Uint8Array(0), content);
    const out = `${f.sig}.osl`;
    const args = ['cms', '-sign', '-binary', '-in', f.data, '-signer', chain.leaf, '-inkey', chain.leafKey, '-certfile', chain.issuing, '-outform', 'DER', '-out', out, ...extra];
    if (!detached) args.push('-nodetach');
    const signed = runOpenssl(args);
    expect(signed.output).toBe('');
    const der = readBytes(out);
    const anchors = [trustAnchorFromCertificate(parseCertificate(chain.rootDer))];
    const options = { ...(detached ? { detachedContent: content } : {}), trustAnchors: anchors, revocation: GOOD_OCSP };
    const ours = await verifySignedData(der, options);
    expect(ours).toMatchObject({ valid: true });
    if (ours.valid) {
      expect(ours.signer.certificate.der).toEqual(new Uint8Array(chain.leafDer));
      expect(ours.signingTime).toBeInstanceOf(Date);
    }
    // Tampered: content, and signature.
    const other = Buffer.from(content);
    other[0] = (other[0] as number) ^ 0xff;
    if (detached) {
      expect(await verifySignedData(der, { ...options, detachedContent: other })).toMatchObject({ valid: false, rule: 'message-digest-mismatch' });
    } else {
      const sd = parseSignedData(der);
      const bad = Buffer.from(der);
      const at = offsetIn(der, sd.content as Uint8Array);
      bad[at] = (bad[at] as number) ^ 0xff;
      expect(await verifySignedData(bad, options)).toMatchObject({ valid: false, rule: 'message-digest-mismatch' });
    }
    const si = parseSignedData(der).signerInfos[0];
    const badSig = Buffer.from(der);
    const sigAt = offsetIn(der, si?.signature as Uint8Array) + 10;
    badSig[sigAt] = (badSig[sigAt] as number) ^ 1;
    expect(await verifySignedData(badSig, options)).toMatchObject({ valid: false, rule: 'signature' });
  });

  it('without certificates in the message (-nocerts) the signer is found among those the caller gives', async () => {
    const chain = chainFor('ec-p256');
    const content = randomBytes(40);
    const f = files(new Uint8Array(0), content);
    const out = `${f.sig}.nocerts`;
    expect(runOpenssl(['cms', '-sign', '-binary', '-nocerts', '-in', f.data, '-signer', chain.leaf, '-inkey', chain.leafKey, '-outform', 'DER', '-out', out, '-nodetach']).status).toBe(0);
    const der = readBytes(out);
    expect(await verifySignedData(der)).toMatchObject({ valid: false, rule: 'signer-certificate-not-found' });
    const anchors = [trustAnchorFromCertificate(parseCertificate(chain.rootDer))];
    expect(await verifySignedData(der, { certificates: [chain.leafDer], intermediates: [chain.issuingDer], trustAnchors: anchors, revocation: GOOD_OCSP })).toMatchObject({
      valid: true,
    });
  });

  it('SHA-1 (-md sha1) is refused as unsupported', async () => {
    const chain = chainFor('rsa');
    const f = files(new Uint8Array(0), Buffer.from('old'));
    const out = `${f.sig}.sha1`;
    expect(runOpenssl(['cms', '-sign', '-binary', '-md', 'sha1', '-in', f.data, '-signer', chain.leaf, '-inkey', chain.leafKey, '-outform', 'DER', '-out', out, '-nodetach']).status).toBe(0);
    expect(await verifySignedData(readBytes(out))).toMatchObject({ valid: false, rule: 'unsupported-algorithm' });
  });
});
