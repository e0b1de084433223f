import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { createSoftHsmEnvironment, ensureToken } from '../hsm-sim/softhsm';
import { openHsm, type Hsm } from '../src/hsm';
import { startHttpServer } from '../src/api/http-server';
import { pkiRoutes } from '../src/api/pki-routes';
import { createLogger } from '../src/log';
import {
  encodeCertId,
  encodeOcspRequest,
  initCertificationAuthority,
  loadCas,
  parseOcspResponse,
  publishCrl,
  startPkiRuntime,
  type CertificationAuthority,
  type PkiRuntime,
} from '../src/pki';
import { openStore, type Store } from '../src/store';
import { measureCmsVerifyPerSec } from './lib/cms-verify';
import { runHttpLoad, type HttpLoadResult } from './lib/http-load';

/**
 * The PKI figures of issue 3, on a throw-away SoftHSM2 token and SQLite store set up by the real `mssp ca init`
 * code (P-256 keys, the default):
 *   cmsVerifyPerSec   CMS SignedData verifications per second on one core, with path validation to the root and
 *                     the OCSP status from a cache (bench/lib/cms-verify.ts);
 *   ocspFreshPerSec   OCSP responses per second over HTTP (real listener, keep-alive, CONNECTIONS clients in a
 *                     worker thread), every request carrying its own nonce, so every response is signed afresh
 *                     in the HSM (RFC 6960 forbids reusing a response for a nonce);
 *   ocspCachedPerSec  the same without nonces: RFC 5019 responses served from the responder's cache;
 *   issuePerSec       citizen signature certificates built and signed by the issuing CA (HSM), one at a time
 *                     (issueFourCallersPerSec: 4 concurrent callers); signing only, nothing stored. Building
 *                     the certificate with @peculiar/x509 (asn1js) takes nearly all of the time, not the HSM.
 * Targets on the 2-core machine: CMS ≥ 3,000/s, OCSP fresh ≥ 1,500/s, cached ≥ 10,000/s.
 *
 *   npm run bench -- pki        BENCH_SECONDS=4 BENCH_CONNECTIONS=16 change the run lengths and clients.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const CERTIFICATES = 64;
const TARGETS = { cmsVerifyPerSec: 3000, ocspFreshPerSec: 1500, ocspCachedPerSec: 10_000 } as const;

const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

async function openBenchToken(dir: string): Promise<Hsm> {
  const env = createSoftHsmEnvironment(join(dir, 'softhsm'));
  ensureToken(env, { label: 'bench-pki', soPin: '5678', userPin: '1234' });
  process.env.SOFTHSM2_CONF = env.confPath;
  return openHsm({ modulePath: env.modulePath, tokenLabel: 'bench-pki', pin: '1234', poolSize: 4 });
}

/** Certificates to ask about: issued by the real issuing CA for one token key and recorded as good. */
async function issueSubjects(hsm: Hsm, store: Store, issuing: CertificationAuthority, count: number): Promise<Buffer[]> {
  const pair = await hsm.generateKeyPair({ type: 'EC', curve: 'P-256' }, { label: 'bench-subject' });
  const spki = await hsm.publicKeySpki(pair.publicKey);
  const serials: Buffer[] = [];
  for (let i = 0; i < count; i += 1) {
    const issued = await issuing.issue({ profile: 'citizen-sign', subject: { kind: 'citizen', givenName: 'Bench', familyName: `Subject ${i}`, nationalId: `B${i}` }, publicKey: spki, msisdn: `+3725550${String(i).padStart(4, '0')}` });
    await store.transaction((tx) => issuing.recordIssued(tx, issued, 'citizen-sign', 'bench'));
    serials.push(Buffer.from(issued.certificate.serialNumber));
  }
  return serials;
}

/** Certificates issued per second by `callers` concurrent issuers (the HSM session pool holds 4). */
async function measureIssuance(hsm: Hsm, issuing: CertificationAuthority, seconds: number, callers: number): Promise<{ perSec: number; issued: number }> {
  const pair = await hsm.generateKeyPair({ type: 'EC', curve: 'P-256' }, { label: `bench-issue-${callers}` });
  const publicKey = await hsm.publicKeySpki(pair.publicKey);
  const issueOne = (i: number): Promise<unknown> =>
    issuing.issue({ profile: 'citizen-sign', subject: { kind: 'citizen', givenName: 'Issue', familyName: `Bench ${i}`, nationalId: `I${i}` }, publicKey, msisdn: '+37255599999' });
  for (let i = 0; i < 20; i += 1) await issueOne(i);
  let issued = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) await issueOne((issued += 1));
    }),
  );
  return { perSec: Math.round(issued / ((performance.now() - start) / 1000)), issued };
}

/** Checks what the server answered: successful responses, good, with the nonce echoed when one was sent. */
function checkSamples(result: HttpLoadResult, what: string, withNonce: boolean): void {
  if (result.non200 > 0) throw new Error(`${what}: ${result.non200} responses were not HTTP 200`);
  if (result.samples.length === 0) throw new Error(`${what}: no response seen`);
  for (const sample of result.samples) {
    const parsed = parseOcspResponse(sample.body);
    const single = parsed.basic?.responses[0];
    if (parsed.status !== 'successful' || single?.status.kind !== 'good') throw new Error(`${what}: response ${sample.index} is ${parsed.status}/${single?.status.kind}`);
    if (withNonce !== (parsed.basic?.nonce !== undefined)) throw new Error(`${what}: nonce ${withNonce ? 'not echoed' : 'unexpected'}`);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'bench-pki-'));
  const hsm = await openBenchToken(dir);
  const store = await openStore({ sqliteFile: join(dir, 'bench.sqlite') });
  let runtime: PkiRuntime | undefined;
  try {
    await store.migrate();
    const setupStart = performance.now();
    await initCertificationAuthority(hsm, store, { organization: 'Bench Platform', country: 'EE', publicBaseUrl: 'http://127.0.0.1:8080', actor: 'bench' });
    const cas = await loadCas(hsm, store);
    await publishCrl(store, cas.root);
    await publishCrl(store, cas.issuing);
    const serials = await issueSubjects(hsm, store, cas.issuing, CERTIFICATES);
    log(`CA initialised and ${CERTIFICATES} certificates issued in ${Math.round(performance.now() - setupStart)} ms`);

    log('CMS verify (one core, path to the root, cached OCSP status)…');
    const cms = await measureCmsVerifyPerSec({ hsm, seconds: SECONDS });
    log(`  ${cms.perSec}/s (nothing cached: ${cms.coldPerSec}/s)`);

    log('CA issuance…');
    const issuance = await measureIssuance(hsm, cas.issuing, Math.min(3, SECONDS), 1);
    const issuanceFour = await measureIssuance(hsm, cas.issuing, Math.min(2, SECONDS), 4);
    log(`  ${issuance.perSec}/s one at a time, ${issuanceFour.perSec}/s with 4 callers`);

    runtime = await startPkiRuntime({ hsm, store, pollMs: 60_000 });
    const pki = runtime;
    const http = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      health: [],
      logger: createLogger({ level: 'silent' }),
      routes: pkiRoutes({ responder: pki.responder, crl: (n) => pki.crls.current(n), caCertificate: (n) => pki.caCertificate(n) }),
    });
    try {
      const url = new URL(http.url);
      const issuer = cas.issuing.certificate;
      const certId = (serial: Buffer): Buffer => encodeCertId({ issuerName: issuer.subject, issuerKey: issuer.subjectPublicKeyInfo, serialNumber: serial });
      const load = (bodies: Buffer[], seconds: number): Promise<HttpLoadResult> =>
        runHttpLoad({ host: url.hostname, port: Number(url.port), path: '/ocsp', contentType: 'application/ocsp-request', bodies, connections: CONNECTIONS, seconds });

      // Every request its own nonce: a nonce-bearing response is never reused, so each one is signed in the HSM.
      const fresh = Array.from({ length: 4096 }, (_, i) => encodeOcspRequest([certId(serials[i % serials.length] as Buffer)], randomBytes(16)));
      const plain = serials.map((s) => encodeOcspRequest([certId(s)]));

      log(`OCSP over HTTP, fresh signatures (${CONNECTIONS} keep-alive connections)…`);
      await load(fresh, 0.5);
      const signedBefore = pki.responder.stats().signed;
      const freshRun = await load(fresh, SECONDS);
      checkSamples(freshRun, 'fresh', true);
      const signed = pki.responder.stats().signed - signedBefore;
      log(`  ${freshRun.perSec}/s, mean latency ${freshRun.meanLatencyMs} ms, ${signed} signatures for ${freshRun.responses} responses`);

      log(`OCSP over HTTP, from the cache (${CONNECTIONS} keep-alive connections)…`);
      await load(plain, 0.5);
      const before = pki.responder.stats();
      const cachedRun = await load(plain, SECONDS);
      checkSamples(cachedRun, 'cached', false);
      const after = pki.responder.stats();
      const hits = after.cache.hits - before.cache.hits;
      log(`  ${cachedRun.perSec}/s, mean latency ${cachedRun.meanLatencyMs} ms, ${hits} cache hits for ${cachedRun.responses} responses, ${after.signed - before.signed} signed`);

      const figures = {
        bench: 'pki',
        cmsVerifyPerSec: cms.perSec,
        ocspFreshPerSec: freshRun.perSec,
        ocspCachedPerSec: cachedRun.perSec,
        issuePerSec: issuance.perSec,
        issueFourCallersPerSec: issuanceFour.perSec,
        cmsVerifyColdPerSec: cms.coldPerSec,
        ocspFreshSignaturesPerResponse: Number((signed / Math.max(1, freshRun.responses)).toFixed(3)),
        ocspCachedHitRatio: Number((hits / Math.max(1, cachedRun.responses)).toFixed(3)),
        ocspFreshLatencyMs: freshRun.meanLatencyMs,
        ocspCachedLatencyMs: cachedRun.meanLatencyMs,
        connections: CONNECTIONS,
        seconds: SECONDS,
        algorithm: 'ES256 (P-256 keys in SoftHSM2)',
        targets: TARGETS,
        met: {
          cmsVerifyPerSec: cms.perSec >= TARGETS.cmsVerifyPerSec,
          ocspFreshPerSec: freshRun.perSec >= TARGETS.ocspFreshPerSec,
          ocspCachedPerSec: cachedRun.perSec >= TARGETS.ocspCachedPerSec,
        },
      };
      process.stdout.write(`${JSON.stringify(figures)}\n`);
    } finally {
      await http.close();
    }
  } finally {
    await runtime?.stop();
    await store.close();
    await hsm.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
