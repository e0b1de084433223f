import 'reflect-metadata';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { ensureToken } from '../../../../hsm-sim/softhsm';
import { type Hsm, type KeyPairSpec, openHsm } from '../../../../src/hsm';
import {
  type CaInitResult,
  type LoadedCas,
  type SigningKey,
  initCertificationAuthority,
  loadCas,
  publishCrl,
} from '../../../../src/pki';
import type { Store } from '../../../../src/store';
import { makeThrowAwayToken, type ThrowAwayToken } from '../../../support/softhsm';

/**
 * Test-only: the platform token and a SIM token in one SoftHSM2 environment (SoftHSM2 reads SOFTHSM2_CONF once
 * per process, so every token a test file uses lives in the same one), a CA made by the real `ca init` code,
 * and PKCS#10 requests made the way a SIM makes them: key pair and signature inside the SIM's own token.
 */
export interface PkiTokens {
  readonly platformToken: ThrowAwayToken;
  readonly platform: Hsm;
  readonly sim: Hsm;
  /** A scratch folder for files handed to openssl. */
  readonly dir: string;
  close(): Promise<void>;
}

export async function openPkiTokens(label: string): Promise<PkiTokens> {
  const platformToken = makeThrowAwayToken(label.slice(0, 28));
  const simLabel = `sim-${label}`.slice(0, 32);
  ensureToken(platformToken.env, { label: simLabel, soPin: '5678', userPin: '0000' });
  const platform = await openHsm({ modulePath: platformToken.env.modulePath, tokenLabel: platformToken.label, pin: platformToken.userPin, poolSize: 4 });
  const sim = await openHsm({ modulePath: platformToken.env.modulePath, tokenLabel: simLabel, pin: '0000', poolSize: 2 });
  const dir = mkdtempSync(join(platformToken.env.tokenDir, '..', 'files-'));
  return {
    platformToken,
    platform,
    sim,
    dir,
    close: async () => {
      await sim.close();
      await platform.close();
    },
  };
}

export const BASE_URL = 'http://pki.test.invalid:8080';

export interface TestPki {
  readonly init: CaInitResult;
  readonly cas: LoadedCas;
}

/** `mssp ca init` as the CLI runs it, then the first CRLs. */
export async function initTestPki(hsm: Hsm, store: Store, options: { organization?: string; country?: string } = {}): Promise<TestPki> {
  await store.migrate();
  const init = await initCertificationAuthority(hsm, store, {
    organization: options.organization ?? 'Test Platform',
    ...(options.country !== undefined ? { country: options.country } : { country: 'EE' }),
    publicBaseUrl: BASE_URL,
    actor: 'spec',
  });
  const cas = await loadCas(hsm, store);
  await publishCrl(store, cas.root);
  await publishCrl(store, cas.issuing);
  return { init, cas };
}

let simKeyCounter = 0;

/** A key pair made in the SIM token and a PKCS#10 request signed by it (proof of possession). */
export async function simRequest(sim: Hsm, spec: KeyPairSpec = { type: 'EC', curve: 'P-256' }, subject = 'CN=SIM request'): Promise<Buffer> {
  simKeyCounter += 1;
  const pair = await sim.generateKeyPair(spec, { label: `sim-key-${simKeyCounter}` });
  const alg = spec.type === 'EC' ? (spec.curve === 'P-384' ? 'ES384' : 'ES256') : 'RS256';
  const keys = await sim.cryptoKeyPair(pair, alg);
  const signingAlgorithm = spec.type === 'EC' ? { name: 'ECDSA', hash: alg === 'ES384' ? 'SHA-384' : 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm }, sim.crypto);
  return Buffer.from(csr.rawData);
}

/** The token label of the key pair the newest simRequest made (labels count up per test file). */
export function lastSimKeyLabel(): string {
  return `sim-key-${simKeyCounter}`;
}

/** A request made with a software key (for key types a SoftHSM2 token will not make, like RSA-1024). */
export async function softwareRequest(algorithm: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams): Promise<Buffer> {
  const crypto = webcrypto;
  const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const signingAlgorithm = algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: algorithm.name };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=software', keys, signingAlgorithm }, crypto);
  return Buffer.from(csr.rawData);
}

/** A SigningKey on a software key: the CA code with a test key, as STYLE.md example 6 has it. */
export async function softwareSigningKey(curve: 'P-256' | 'P-384' = 'P-256'): Promise<SigningKey> {
  const crypto = webcrypto as unknown as webcrypto.Crypto;
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', keys.publicKey));
  return { algorithm: curve === 'P-256' ? 'ES256' : 'ES384', crypto, privateKey: keys.privateKey, publicKey: keys.publicKey, spki };
}

export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export function writePem(dir: string, name: string, der: Uint8Array, label = 'CERTIFICATE'): string {
  const file = join(dir, name);
  writeFileSync(file, toPem(der, label));
  return file;
}

export interface OpensslRun {
  readonly status: number | null;
  readonly output: string;
}

export function openssl(args: readonly string[], input?: Buffer): OpensslRun {
  const r = spawnSync('openssl', args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/**
 * openssl without blocking the event loop: needed when openssl talks to an HTTP server in this process
 * (spawnSync would wait for openssl while openssl waits for us).
 */
export function opensslAsync(args: readonly string[], timeoutMs = 20_000): Promise<OpensslRun> {
  return new Promise((resolve) => {
    execFile('openssl', [...args], { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
      resolve({ status: code, output: `${stdout}${stderr}` });
    });
  });
}

/** `openssl x509 -text` of a DER certificate. */
export function opensslText(der: Uint8Array): string {
  return execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], { input: Buffer.from(der), encoding: 'utf8' });
}
