import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';

/**
 * A stand-in CA for simulated SIMs when no RA/CA of the platform is at hand (benchmarks, the demo numbers
 * before anyone enrolled them): a software P-256 key kept in the SIM set's folder, issuing end-entity
 * certificates for the public keys the SIM tokens made. TEST AND DEMO ONLY: the platform's CA (src/pki/ca)
 * keeps its key in the HSM; the end-to-end spec enrols through it instead.
 */
export interface SimIssuer {
  readonly certificate: Uint8Array;
  issue(subject: string, spki: Uint8Array, keyType: 'EC' | 'RSA', serial: string): Promise<Buffer>;
}

const crypto = webcrypto as unknown as webcrypto.Crypto;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;

export async function openSimIssuer(keyFile: string): Promise<SimIssuer> {
  let privateKey: webcrypto.CryptoKey;
  let certificate: x509.X509Certificate;
  if (existsSync(keyFile)) {
    const saved = JSON.parse(readFileSync(keyFile, 'utf8')) as { pkcs8: string; certificate: string };
    privateKey = await crypto.subtle.importKey('pkcs8', Buffer.from(saved.pkcs8, 'base64'), EC, false, ['sign']);
    certificate = new x509.X509Certificate(Buffer.from(saved.certificate, 'base64'));
  } else {
    const keys = (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    certificate = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: '01',
        name: 'CN=Simulated SIM issuer (test only)',
        notBefore: new Date(Date.now() - 86_400_000),
        notAfter: new Date(Date.now() + 10 * 365 * 86_400_000),
        keys,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
        extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
      },
      crypto,
    );
    const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
    writeFileSync(keyFile, JSON.stringify({ pkcs8: pkcs8.toString('base64'), certificate: Buffer.from(certificate.rawData).toString('base64') }), { mode: 0o600 });
    privateKey = keys.privateKey;
  }
  return {
    certificate: Buffer.from(certificate.rawData),
    async issue(subject, spki, keyType, serial) {
      const algorithm = keyType === 'EC' ? EC : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      const publicKey = await crypto.subtle.importKey('spki', spki, algorithm, true, ['verify']);
      const cert = await x509.X509CertificateGenerator.create(
        {
          serialNumber: serial,
          subject,
          issuer: certificate.subject,
          notBefore: new Date(Date.now() - 86_400_000),
          notAfter: new Date(Date.now() + 5 * 365 * 86_400_000),
          publicKey,
          signingKey: privateKey,
          signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
          extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true)],
        },
        crypto,
      );
      return Buffer.from(cert.rawData);
    },
  };
}
