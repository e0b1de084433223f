import { soapEnvelope } from '../src/api/soap/serialize';
import type { SignatureReq } from '../src/mss/messages/types';
import { FICOM_SIGNATURE_PROFILE } from '../src/mss/profiles';
import { AP_ID, AP_PASSWORD, MSISDN, postSoap, startMssFixture, statusCodeOf } from '../spec/api/soap/mss-fixture';

/**
 * Synchronous MSS_Signature over SOAP (HTTP keep-alive, 64 concurrent callers) → service → store (SQLite) →
 * approver signing CMS with a P-256 key in a SoftHSM token → response. The SMPP / SMSC / SIM-applet leg is not
 * in this run yet (the channel is plugged in behind the Approver later): the figures are the platform's share.
 * The callers run in the same process, so cpuMsPerTx includes their work too.
 *
 *   npm run bench -- mss        (MSS_BENCH_REQUESTS, default 3000)
 */
const REQUESTS = Number(process.env.MSS_BENCH_REQUESTS ?? 3_000);
const CONCURRENCY = 64;

function request(i: number): string {
  const req: SignatureReq = {
    kind: 'MSS_SignatureReq',
    majorVersion: 1,
    minorVersion: 1,
    apInfo: { apId: AP_ID, apTransId: `B${process.pid}x${i}`, apPwd: AP_PASSWORD, instant: new Date() },
    msspInfo: { msspId: { uri: 'http://mssp.test' } },
    mobileUser: { msisdn: MSISDN.approve },
    dataToBeSigned: { value: `Benchmark document ${i}`, mimeType: 'text/plain', encoding: 'UTF-8' },
    signatureProfile: { mssUri: FICOM_SIGNATURE_PROFILE },
    additionalServices: [],
    messagingMode: 'synch',
    timeOut: 60,
  };
  return soapEnvelope('MSS_Signature', req);
}

async function main(): Promise<void> {
  const f = await startMssFixture('bench');
  try {
    // Warm-up: the AP password check (scrypt) is remembered after the first success.
    for (let i = 0; i < 50; i += 1) await postSoap(f.soapUrl, request(-1 - i));
    const latencies: number[] = [];
    let failures = 0;
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          const i = next++;
          const start = performance.now();
          const res = await postSoap(f.soapUrl, request(i));
          latencies.push(performance.now() - start);
          if (statusCodeOf(res.body) !== 500) failures += 1;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    latencies.sort((a, b) => a - b);
    const pct = (p: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN) * 10) / 10;
    const figures = {
      bench: 'mss',
      case: 'soap-synch-P256-sqlite-inprocess-approver',
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      failures,
      signaturesPerSec: Math.round(REQUESTS / seconds),
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      cpuMsPerTx: Math.round(((cpu.user + cpu.system) / 1000 / REQUESTS) * 100) / 100,
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    if (failures > 0) process.exitCode = 1;
  } finally {
    await f.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 2;
});
