import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CardTokenDirectory } from '../../src/hsm';
import { certificationRequest } from '../../hsm-sim/handset/enrolment';
import { openSimCard } from '../../hsm-sim/handset/open-card';
import { provisionSimSet, simSetEnvironment, type SimKeyType } from '../../hsm-sim/handset/sim-set';
import { SOFTHSM_MODULE_PATH } from '../../hsm-sim/softhsm';

/**
 * The handset side of enrolling a benchmark's SIM set with a platform RA, as a process of its own (SoftHSM2
 * reads one SOFTHSM2_CONF per process, and the SIM set has its own): makes the set if it is missing, then has
 * every SIM sign its two PKCS#10 requests inside its tokens and writes them to <dir>/enrolment-requests.json.
 * The requests do not depend on the CA, so they are kept and reused by later runs.
 *
 *   node -r @swc-node/register bench/lib/sim-requests.ts --sims DIR --first MSISDN --count N --key-type P-256|RSA-2048
 *
 * Prints one JSON line {"requests":"ready","file":…,"created":…,"ms":…}.
 */

export interface EnrolmentRequest {
  readonly msisdn: string;
  /** PKCS#10, DER, base64. */
  readonly auth: string;
  readonly sign: string;
}

export function enrolmentRequestsFile(dir: string): string {
  return join(dir, 'enrolment-requests.json');
}

export function readEnrolmentRequests(dir: string): EnrolmentRequest[] {
  const file = enrolmentRequestsFile(dir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as EnrolmentRequest[]) : [];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sims: { type: 'string' }, first: { type: 'string' }, count: { type: 'string' }, 'key-type': { type: 'string' } },
    strict: true,
  });
  if (values.sims === undefined || values.first === undefined || values.count === undefined) throw new Error('--sims, --first and --count are required');
  const keyType = values['key-type'] as SimKeyType;
  if (keyType !== 'P-256' && keyType !== 'RSA-2048') throw new Error('--key-type: P-256 or RSA-2048');
  const started = performance.now();
  const dir = resolve(values.sims);
  // Before the library loads: SoftHSM2 reads SOFTHSM2_CONF in C_Initialize.
  process.env.SOFTHSM2_CONF = simSetEnvironment(dir).confPath;
  const first = BigInt(values.first);
  const msisdns = Array.from({ length: Number(values.count) }, (_, i) => (first + BigInt(i)).toString());
  const tokens = CardTokenDirectory.open(SOFTHSM_MODULE_PATH);
  try {
    const provisioned = await provisionSimSet({ dir, tokens, msisdns, keyType, onProgress: (done, total) => process.stderr.write(`sim-requests: ${done}/${total} SIMs made\n`) });
    const known = new Map(readEnrolmentRequests(dir).map((r) => [r.msisdn, r]));
    let made = 0;
    for (const record of provisioned.records) {
      if (known.has(record.msisdn)) continue;
      const card = openSimCard(dir, tokens, record);
      try {
        for (const which of ['auth', 'sign'] as const) {
          const pin = await card.verifyPin(which, record.pins[which]);
          if (pin !== 'ok') throw new Error(`SIM ${record.msisdn}: its ${which} PIN is ${pin}; delete ${dir} to make the set afresh`);
        }
        const auth = await certificationRequest(card, 'auth');
        const sign = await certificationRequest(card, 'sign');
        known.set(record.msisdn, { msisdn: record.msisdn, auth: auth.toString('base64'), sign: sign.toString('base64') });
        made += 1;
      } finally {
        await card.close();
      }
    }
    if (made > 0) {
      const file = enrolmentRequestsFile(dir);
      writeFileSync(`${file}.tmp`, JSON.stringify([...known.values()], null, 1));
      renameSync(`${file}.tmp`, file);
    }
    process.stdout.write(`${JSON.stringify({ requests: 'ready', file: enrolmentRequestsFile(dir), created: provisioned.created, made, ms: Math.round(performance.now() - started) })}\n`);
  } finally {
    await tokens.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`sim-requests: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  });
}
