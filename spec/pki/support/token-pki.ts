import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import type { Hsm, HsmKeyPair, KeyPairSpec, SignatureAlgorithmName } from '../../../src/hsm';

/**
 * Test-only: a small chain root → issuing CA → end entity whose keys are all made in a throw-away token and
 * whose certificates @peculiar/x509 signs through the token's WebCrypto face. The CA helper's profiles make
 * the real chain; this one only has to be a correct RFC 5280 chain that openssl also accepts.
 * Also used by bench/lib/cms-verify.ts, so it stays free of Jest.
 */
export interface TokenCert {
  readonly der: Buffer;
  readonly pem: string;
  readonly pair: HsmKeyPair;
  readonly algorithm: SignatureAlgorithmName;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly cert: x509.X509Certificate;
}

export interface TokenChain {
  readonly root: TokenCert;
  readonly issuing: TokenCert;
  readonly leaf: TokenCert;
}

export const KEY_SPECS: Readonly<Record<SignatureAlgorithmName, KeyPairSpec>> = {
  RS256: { type: 'RSA', modulusBits: 2048 },
  RS384: { type: 'RSA', modulusBits: 2048 },
  RS512: { type: 'RSA', modulusBits: 2048 },
  PS256: { type: 'RSA', modulusBits: 2048 },
  PS384: { type: 'RSA', modulusBits: 2048 },
  PS512: { type: 'RSA', modulusBits: 2048 },
  ES256: { type: 'EC', curve: 'P-256' },
  ES384: { type: 'EC', curve: 'P-384' },
  ES512: { type: 'EC', curve: 'P-521' },
};

/** @peculiar/x509's signingAlgorithm for one of our algorithm names (RSA hashes are bound to the key). */
export type X509SigningAlgorithm = NonNullable<x509.X509CertificateCreateParamsBase['signingAlgorithm']>;

export function x509SigningAlgorithm(alg: SignatureAlgorithmName): X509SigningAlgorithm {
  if (alg.startsWith('RS')) return { name: 'RSASSA-PKCS1-v1_5' };
  // WebCrypto's RsaPssParams: the salt is as long as the hash, as src/hsm signs PSS.
  if (alg.startsWith('PS')) return { name: 'RSA-PSS', saltLength: Number(alg.slice(2)) / 8 } as X509SigningAlgorithm;
  return { name: 'ECDSA', hash: `SHA-${alg.slice(2)}` } as X509SigningAlgorithm;
}

const DAY = 86_400_000;

export interface LeafOptions {
  readonly subject?: string;
  readonly serialNumber?: string;
  /** x509.KeyUsageFlags; default digitalSignature | nonRepudiation. */
  readonly keyUsage?: number;
  readonly extendedKeyUsage?: { readonly usages: readonly string[]; readonly critical: boolean };
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Reuse a key pair (a second certificate for the same key). */
  readonly pair?: HsmKeyPair;
}

export interface TokenChainOptions {
  /** Prefix for key labels, unique within the token. */
  readonly label: string;
  readonly caAlgorithm?: SignatureAlgorithmName;
  readonly leafAlgorithm?: SignatureAlgorithmName;
  readonly leaf?: LeafOptions;
}

async function newPair(hsm: Hsm, alg: SignatureAlgorithmName, label: string): Promise<{ pair: HsmKeyPair; keys: webcrypto.CryptoKeyPair }> {
  const pair = await hsm.generateKeyPair(KEY_SPECS[alg], { label });
  return { pair, keys: await hsm.cryptoKeyPair(pair, alg) };
}

function wrap(cert: x509.X509Certificate, pair: HsmKeyPair, keys: webcrypto.CryptoKeyPair, algorithm: SignatureAlgorithmName): TokenCert {
  return { der: Buffer.from(cert.rawData), pem: cert.toString('pem'), pair, keys, algorithm, cert };
}

let serial = 0x100;
const nextSerial = (): string => (serial++).toString(16).padStart(4, '0');

export async function makeRoot(hsm: Hsm, label: string, alg: SignatureAlgorithmName = 'ES256', name = `CN=${label} Root CA, O=mssp test`): Promise<TokenCert> {
  const { pair, keys } = await newPair(hsm, alg, `${label}-root`);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: nextSerial(),
      name,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 3650 * DAY),
      signingAlgorithm: x509SigningAlgorithm(alg),
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, hsm.crypto),
      ],
    },
    hsm.crypto,
  );
  return wrap(cert, pair, keys, alg);
}

/** A certificate issued by `issuer` (a CA when `ca` is set, else an end entity as LeafOptions say). */
export async function issue(
  hsm: Hsm,
  issuer: TokenCert,
  label: string,
  alg: SignatureAlgorithmName,
  options: LeafOptions & { readonly ca?: boolean } = {},
): Promise<TokenCert> {
  const fresh = options.pair ? { pair: options.pair, keys: await hsm.cryptoKeyPair(options.pair, alg) } : await newPair(hsm, alg, label);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(options.ca === true, options.ca === true ? 0 : undefined, true),
    new x509.KeyUsagesExtension(
      options.ca === true ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : (options.keyUsage ?? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation),
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(fresh.keys.publicKey, false, hsm.crypto),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey, false, hsm.crypto),
  ];
  if (options.extendedKeyUsage) extensions.push(new x509.ExtendedKeyUsageExtension([...options.extendedKeyUsage.usages], options.extendedKeyUsage.critical));
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: options.serialNumber ?? nextSerial(),
      subject: options.subject ?? `CN=${label}, O=mssp test`,
      issuer: issuer.cert.subject,
      notBefore: options.notBefore ?? new Date(Date.now() - DAY),
      notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY),
      publicKey: fresh.keys.publicKey,
      signingKey: issuer.keys.privateKey,
      signingAlgorithm: x509SigningAlgorithm(issuer.algorithm),
      extensions,
    },
    hsm.crypto,
  );
  return wrap(cert, fresh.pair, fresh.keys, alg);
}

export async function makeTokenChain(hsm: Hsm, options: TokenChainOptions): Promise<TokenChain> {
  const caAlg = options.caAlgorithm ?? 'ES256';
  const root = await makeRoot(hsm, options.label, caAlg);
  const issuing = await issue(hsm, root, `${options.label} Issuing CA`, caAlg, { ca: true });
  const leaf = await issue(hsm, issuing, `${options.label} signer`, options.leafAlgorithm ?? 'ES256', options.leaf ?? {});
  return { root, issuing, leaf };
}

/** PEM files for openssl: root.pem (-CAfile), chain.pem (issuing CA, -certfile/-untrusted), leaf.pem. */
export function writeChainFiles(dir: string, name: string, chain: TokenChain): { root: string; issuing: string; leaf: string; all: string } {
  const files = { root: join(dir, `${name}-root.pem`), issuing: join(dir, `${name}-issuing.pem`), leaf: join(dir, `${name}-leaf.pem`), all: join(dir, `${name}-all.pem`) };
  writeFileSync(files.root, chain.root.pem);
  writeFileSync(files.issuing, chain.issuing.pem);
  writeFileSync(files.leaf, chain.leaf.pem);
  writeFileSync(files.all, `${chain.issuing.pem}\n${chain.root.pem}\n`);
  return files;
}
