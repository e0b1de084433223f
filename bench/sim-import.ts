import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSoftHsmEnvironment, ensureToken } from '../hsm-sim/softhsm';
import { personalisationLines } from '../hsm-sim/handset/personalisation-file';
import type { SimRecord } from '../hsm-sim/handset/sim-set';
import { importPersonalisation, SIM_TRANSPORT_KEY_LABEL } from '../src/cli/sim';
import { openHsm } from '../src/hsm';
import { openStore } from '../src/store';

/**
 * `mssp sim import` at personalisation scale: a file of BENCH_SIMS SIMs (default 1,000) wrapped under an RSA
 * transport key is imported into SoftHSM2 (two C_UnwrapKey per SIM, RSA-OAEP SHA-1, token objects) and a SQLite
 * store; then the same file again (every line recognised as already imported).
 *
 *   npm run bench -- sim-import      BENCH_SIMS=N, BENCH_TRANSPORT_BITS=2048|3072|4096 change it.
 */
const SIMS = Number(process.env.BENCH_SIMS ?? 1000);
const BITS = Number(process.env.BENCH_TRANSPORT_BITS ?? 3072) as 2048 | 3072 | 4096;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'bench-sim-import-'));
  try {
    const env = createSoftHsmEnvironment(join(dir, 'softhsm'));
    ensureToken(env, { label: 'bench-sims', soPin: '5678', userPin: '1234' });
    process.env.SOFTHSM2_CONF = env.confPath;
    const hsm = await openHsm({ modulePath: env.modulePath, tokenLabel: 'bench-sims', pin: '1234' });
    const store = await openStore({ sqliteFile: join(dir, 'sims.sqlite') });
    try {
      await store.migrate();
      const pair = await hsm.generateKeyPair({ type: 'RSA', modulusBits: BITS, usage: 'unwrap' }, { label: SIM_TRANSPORT_KEY_LABEL });
      const spki = await hsm.publicKeySpki(pair.publicKey);
      const pem = `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64').match(/.{1,64}/g)?.join('\n')}\n-----END PUBLIC KEY-----\n`;
      const records = Array.from({ length: SIMS }, (_, i): SimRecord => {
        const msisdn = String(35860000000 + i);
        return {
          msisdn,
          iccid: `89${msisdn.padStart(17, '0')}`.slice(-19),
          keyType: 'P-256',
          tar: 'b00010',
          pins: { auth: '0000', sign: '00000' },
          puks: { auth: '00000000', sign: '00000000' },
          ota: { version: 1, kic: randomBytes(16).toString('hex'), kid: randomBytes(16).toString('hex') },
          certificates: { auth: '', sign: '' },
        };
      });
      const text = personalisationLines(records, pem).join('\n');
      let started = performance.now();
      const first = await importPersonalisation(hsm, store, text, 'bench');
      const importMs = performance.now() - started;
      if (first.imported.length !== SIMS) throw new Error(`imported ${first.imported.length} of ${SIMS}: ${JSON.stringify(first.refused[0])}`);
      started = performance.now();
      const again = await importPersonalisation(hsm, store, text, 'bench');
      const repeatMs = performance.now() - started;
      if (again.unchanged.length !== SIMS) throw new Error('the repeat import did not recognise every line');
      // Where the time goes: the same C_UnwrapKey as a token object (a file per object in SoftHSM2) and as a session object.
      const wrapped = JSON.parse(text.split('\n')[0] as string) as { kic: { wrapped: string } };
      const sample = async (token: boolean): Promise<number> => {
        const t0 = performance.now();
        for (let i = 0; i < 20; i += 1) {
          const key = await hsm.unwrapAesKey(pair.privateKey, Buffer.from(wrapped.kic.wrapped, 'base64'), { bits: 128, label: `bench-${i}`, token, usage: 'cipher' });
          await hsm.destroyKey(key);
        }
        return Number(((performance.now() - t0) / 20).toFixed(2));
      };
      const unwrapTokenMs = await sample(true);
      const unwrapSessionMs = await sample(false);
      process.stdout.write(
        `${JSON.stringify({
          sims: SIMS,
          transportKeyBits: BITS,
          importSimsPerSec: Math.round((SIMS / importMs) * 1000),
          importMsPerSim: Number((importMs / SIMS).toFixed(2)),
          repeatSimsPerSec: Math.round((SIMS / repeatMs) * 1000),
          unwrapTokenMs,
          unwrapSessionMs,
        })}\n`,
      );
    } finally {
      await store.close();
      await hsm.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench sim-import: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
