import 'reflect-metadata';
import { X509Certificate as NodeX509Certificate, randomBytes, webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { KeyUnsuitableError, TokenCryptoKey, UnsupportedError, type SignatureAlgorithmName } from '../../src/hsm';
import { openssl, openTestToken, type TestToken } from './support';

/**
 * STYLE.md example 6: PKI code takes the crypto provider as a parameter. Here @peculiar/x509 gets the
 * token's `crypto` and makes certificates whose private key never leaves the token.
 */
async function selfSigned(t: TestToken, keys: webcrypto.CryptoKeyPair, signingAlgorithm: object, name: string): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: `CN=${name}, O=mssp test`,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      signingAlgorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, t.hsm.crypto),
      ],
    },
    t.hsm.crypto,
  );
}

describe('the WebCrypto-shaped provider', () => {
  let t: TestToken;

  beforeAll(async () => {
    t = await openTestToken('webcrypto');
  });

  afterAll(async () => {
    await t?.hsm.close();
  });

  it.each([
    ['RSA-2048, sha256WithRSAEncryption', 'RS256', { type: 'RSA', modulusBits: 2048 }, { name: 'RSASSA-PKCS1-v1_5' }, 'sha256WithRSAEncryption'],
    ['RSA-2048, RSASSA-PSS with SHA-256', 'PS256', { type: 'RSA', modulusBits: 2048 }, { name: 'RSA-PSS', saltLength: 32 }, 'rsassaPss'],
    ['P-256, ecdsa-with-SHA256', 'ES256', { type: 'EC', curve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }, 'ecdsa-with-SHA256'],
    ['P-384, ecdsa-with-SHA384', 'ES384', { type: 'EC', curve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }, 'ecdsa-with-SHA384'],
  ] as const)(
    '@peculiar/x509 makes a self-signed certificate with a token key (%s) that openssl and node:crypto accept',
    async (name, algorithm: SignatureAlgorithmName, spec, signingAlgorithm, opensslName) => {
      const slug = name.replace(/\W+/g, '-');
      const pair = await t.hsm.generateKeyPair(spec, { label: `ca-${slug}` });
      const keys = await t.hsm.cryptoKeyPair(pair, algorithm);
      expect(keys.privateKey).toBeInstanceOf(TokenCryptoKey);
      expect(keys.privateKey.extractable).toBe(false);
      const cert = await selfSigned(t, keys, signingAlgorithm, slug);

      const pem = cert.toString('pem');
      const file = join(t.dir, `${slug}.pem`);
      writeFileSync(file, pem);
      // OpenSSL reads the signature algorithm our table names (by OID) for this algorithm.
      expect(openssl(['x509', '-in', file, '-noout', '-text']).output).toContain(`Signature Algorithm: ${opensslName}`);
      expect(cert.signatureAlgorithm).toMatchObject({ name: signingAlgorithm.name });
      // OpenSSL checks the self-signature against the certificate's own key (-check_ss_sig).
      const verified = openssl(['verify', '-check_ss_sig', '-CAfile', file, file]);
      expect(verified.output).toContain(`${file}: OK`);
      expect(verified.status).toBe(0);

      const nodeCert = new NodeX509Certificate(pem);
      expect(nodeCert.verify(nodeCert.publicKey)).toBe(true);
      expect(nodeCert.publicKey.export({ type: 'spki', format: 'der' }).equals(await t.hsm.publicKeySpki(pair.privateKey))).toBe(true);
      // And @peculiar/x509's own check, with Node's WebCrypto as the verifier.
      await expect(cert.verify({ signatureOnly: true }, webcrypto as unknown as Parameters<typeof cert.verify>[1])).resolves.toBe(true);
    },
  );

  it('a certificate signed by a token CA for another key verifies with openssl against that CA', async () => {
    const caPair = await t.hsm.generateKeyPair({ type: 'EC', curve: 'P-256' }, { label: 'issuing-ca' });
    const ca = await t.hsm.cryptoKeyPair(caPair, 'ES256');
    const caCert = await selfSigned(t, ca, { name: 'ECDSA', hash: 'SHA-256' }, 'issuing-ca');
    const leafKeys = await t.hsm.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const leaf = await x509.X509CertificateGenerator.create(
      {
        serialNumber: '02',
        subject: 'CN=citizen, O=mssp test',
        issuer: caCert.subject,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 86_400_000),
        publicKey: leafKeys.publicKey,
        signingKey: ca.privateKey,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      },
      t.hsm.crypto,
    );
    const caFile = join(t.dir, 'issuing-ca.pem');
    const leafFile = join(t.dir, 'leaf.pem');
    writeFileSync(caFile, caCert.toString('pem'));
    writeFileSync(leafFile, leaf.toString('pem'));
    expect(openssl(['verify', '-CAfile', caFile, leafFile]).output).toContain(`${leafFile}: OK`);
  });

  it('subtle.sign/verify with generated token keys, ECDSA in WebCrypto r‖s form', async () => {
    const subtle = t.hsm.crypto.subtle;
    const data = randomBytes(100);
    const ec = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign', 'verify']);
    const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, ec.privateKey, data);
    expect(sig.byteLength).toBe(96);
    await expect(subtle.verify({ name: 'ECDSA', hash: 'SHA-384' }, ec.publicKey, sig, data)).resolves.toBe(true);
    await expect(webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-384' }, ec.publicKey, sig, Buffer.from('other'))).resolves.toBe(false);

    const rsa = await subtle.generateKey(
      { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    const pss = await subtle.sign({ name: 'RSA-PSS', saltLength: 32 }, rsa.privateKey, data);
    await expect(webcrypto.subtle.verify({ name: 'RSA-PSS', saltLength: 32 }, rsa.publicKey, pss, data)).resolves.toBe(true);
    await expect(subtle.digest('SHA-256', data)).resolves.toBeInstanceOf(ArrayBuffer);
  });

  it('AES-GCM through subtle.encrypt/decrypt with a token key', async () => {
    const subtle = t.hsm.crypto.subtle;
    const key = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const iv = randomBytes(12);
    const sealed = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: Buffer.from('ad') }, key, Buffer.from('hello'));
    expect(sealed.byteLength).toBe(5 + 16);
    const opened = await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: Buffer.from('ad') }, key, sealed);
    expect(Buffer.from(opened).toString()).toBe('hello');
  });

  it('what it does not offer fails with a clear typed error', async () => {
    const subtle = t.hsm.crypto.subtle;
    const pair = await t.hsm.cryptoKeyPair(await t.hsm.generateKeyPair({ type: 'EC', curve: 'P-256' }, { label: 'refusals', token: false }), 'ES256');
    await expect(subtle.exportKey('pkcs8', pair.privateKey)).rejects.toBeInstanceOf(KeyUnsuitableError);
    await expect(subtle.exportKey('jwk', pair.privateKey)).rejects.toThrow(/not extractable/);
    // The public half is an ordinary Node key.
    await expect(subtle.exportKey('spki', pair.publicKey)).resolves.toBeInstanceOf(ArrayBuffer);
    await expect(subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign'])).rejects.toThrow(/never extractable/);
    await expect(subtle.sign({ name: 'ECDSA', hash: 'SHA-1' }, pair.privateKey, Buffer.from('x'))).rejects.toBeInstanceOf(UnsupportedError);
    await expect(subtle.sign({ name: 'RSA-PSS', saltLength: 32 }, pair.privateKey, Buffer.from('x'))).rejects.toBeInstanceOf(KeyUnsuitableError);
    const software = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', software.privateKey);
    await expect(subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])).rejects.toBeInstanceOf(UnsupportedError);
    await expect(subtle.importKey('jwk', await webcrypto.subtle.exportKey('jwk', software.privateKey), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])).rejects.toBeInstanceOf(
      UnsupportedError,
    );
    await expect(subtle.deriveBits()).rejects.toBeInstanceOf(UnsupportedError);
    await expect(subtle.wrapKey()).rejects.toBeInstanceOf(UnsupportedError);
  });
});
