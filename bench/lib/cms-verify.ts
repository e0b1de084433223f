import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSoftHsmEnvironment, ensureToken } from '../../hsm-sim/softhsm';
import { type Hsm, type SignatureAlgorithmName, openHsm } from '../../src/hsm';
import {
  CertificateCache,
  type OcspCheck,
  createSignedData,
  hsmSigner,
  parseCertificate,
  trustAnchorFromCertificate,
  verifySignedData,
} from '../../src/pki';
import { makeTokenChain } from '../../spec/pki/support/token-pki';

/**
 * CMS verifications per second, as approval/ does them for every signature a citizen returns: parse the
 * SignedData, check the signed attributes and the signature, and validate the signer's path to the root
 * (root → issuing CA → signer) with an OCSP hook answering 'good' from an in-memory cache.
 * The chain and the signing key are made in a throw-away SoftHSM2 token (or in the Hsm given), the document
 * is signed once, then verified in a loop for `seconds` on one core (one verification at a time).
 *
 * Two figures: `perSec` with a CertificateCache shared across verifications (what a long-running verifier
 * does: the CA and signer certificates are parsed once and their signatures checked once), and
 * `coldPerSec` with nothing shared (every certificate parsed and every signature on the path checked again).
 *
 *   node -r @swc-node/register bench/lib/cms-verify.ts      prints one JSON line
 *   BENCH_SECONDS=3 BENCH_ALGORITHM=ES256|ES384|RS256|PS256
 */
export interface CmsVerifyBenchOptions {
  /** Seconds of the warm loop; the cold loop runs a third of it. Default 3. */
  readonly seconds?: number;
  /** Algorithm of the whole chain and of the signature. Default ES256 (P-256, what SIM applets sign with). */
  readonly algorithm?: SignatureAlgorithmName;
  /** Bytes of signed content. Default 2048 (a DataToBeSigned with its display text). */
  readonly contentBytes?: number;
  /**
   * An open Hsm to make the keys in. SoftHSM2 reads SOFTHSM2_CONF once per process, so a caller that has
   * already opened a SoftHSM2 token (bench/pki.ts) passes its own; otherwise a throw-away token is made.
   */
  readonly hsm?: Hsm;
}

export interface CmsVerifyBenchResult {
  readonly perSec: number;
  readonly coldPerSec: number;
  readonly verifications: number;
  readonly seconds: number;
  readonly algorithm: SignatureAlgorithmName;
  readonly chain: 'root→issuing→signer';
  readonly contentBytes: number;
  readonly cmsBytes: number;
  readonly ocspLookupsPerVerification: number;
  readonly target: 3000;
}

async function withToken<T>(given: Hsm | undefined, fn: (hsm: Hsm) => Promise<T>): Promise<T> {
  if (given !== undefined) return fn(given);
  const dir = mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'bench-cms-'));
  const env = createSoftHsmEnvironment(dir);
  ensureToken(env, { label: 'bench-cms', soPin: '5678', userPin: '1234' });
  process.env.SOFTHSM2_CONF = env.confPath;
  const hsm = await openHsm({ modulePath: env.modulePath, tokenLabel: 'bench-cms', pin: '1234', poolSize: 1 });
  try {
    return await fn(hsm);
  } finally {
    await hsm.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function loop(seconds: number, verify: () => Promise<boolean>): Promise<{ count: number; elapsed: number }> {
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    // Checking in batches keeps the clock reads out of the measurement.
    for (let i = 0; i < 50; i++) {
      if (!(await verify())) throw new Error('the benchmark document failed to verify');
      count += 1;
    }
  }
  return { count, elapsed: (performance.now() - start) / 1000 };
}

export async function measureCmsVerifyPerSec(options: CmsVerifyBenchOptions = {}): Promise<CmsVerifyBenchResult> {
  const seconds = options.seconds ?? 3;
  const algorithm = options.algorithm ?? 'ES256';
  const contentBytes = options.contentBytes ?? 2048;
  return withToken(options.hsm, async (hsm) => {
    const label = `bench-cms-${algorithm}-${Date.now().toString(36)}`;
    const chain = await makeTokenChain(hsm, { label, caAlgorithm: algorithm.startsWith('PS') ? 'RS256' : algorithm, leafAlgorithm: algorithm });
    const content = Buffer.alloc(contentBytes, 0x61);
    const signer = hsmSigner(hsm, chain.leaf.pair.privateKey, { algorithm, certificate: chain.leaf.der, chain: [chain.issuing.der] });
    const der = await createSignedData({ content, signer });

    const trustAnchors = [trustAnchorFromCertificate(parseCertificate(chain.root.der))];
    const serialHex = (der: Uint8Array): string => Buffer.from(parseCertificate(der).serialNumber).toString('hex');
    const ocspCache = new Map<string, 'good'>([
      [serialHex(chain.leaf.der), 'good'],
      [serialHex(chain.issuing.der), 'good'],
    ]);
    let lookups = 0;
    const ocsp: OcspCheck = async (cert) => {
      lookups += 1;
      return ocspCache.get(Buffer.from(cert.serialNumber).toString('hex')) ?? 'unknown';
    };
    const time = new Date();
    const verifyWith = (cache: CertificateCache | undefined) => async (): Promise<boolean> =>
      (await verifySignedData(der, { trustAnchors, revocation: { mode: 'required', ocsp }, time, ...(cache ? { certificateCache: cache } : {}) })).valid;

    // Warm-up, then the figures.
    const cache = new CertificateCache();
    await loop(0.3, verifyWith(cache));
    lookups = 0;
    const warm = await loop(seconds, verifyWith(cache));
    const lookupsPerVerification = lookups / warm.count;
    const cold = await loop(Math.max(0.5, seconds / 3), verifyWith(undefined));
    return {
      perSec: Math.round(warm.count / warm.elapsed),
      coldPerSec: Math.round(cold.count / cold.elapsed),
      verifications: warm.count,
      seconds: Number(warm.elapsed.toFixed(2)),
      algorithm,
      chain: 'root→issuing→signer',
      contentBytes,
      cmsBytes: der.length,
      ocspLookupsPerVerification: Number(lookupsPerVerification.toFixed(2)),
      target: 3000,
    };
  });
}

if (require.main === module) {
  const algorithm = (process.env.BENCH_ALGORITHM ?? 'ES256') as SignatureAlgorithmName;
  measureCmsVerifyPerSec({ seconds: Number(process.env.BENCH_SECONDS ?? 3), algorithm }).then(
    (r) => process.stdout.write(`${JSON.stringify({ bench: 'cms-verify', ...r })}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
