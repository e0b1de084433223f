import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CardTokenDirectory } from '../../src/hsm';
import { SOFTHSM_MODULE_PATH } from '../softhsm';
import { certificationRequest } from './enrolment';
import { openSimCard } from './open-card';
import { provisionSimSet, readSimRecords, saveRecords, simSetEnvironment, type SimKeyType, type SimRecord } from './sim-set';

/**
 * The registration desk for simulated SIMs, the handset's part of enrolment with a real RA:
 *
 *   node -r @swc-node/register hsm-sim/handset/enrol.ts requests --sims DIR --msisdn 35850000001 --out-dir D [--key-type P-256]
 *        makes the SIM (once, as main.ts would), verifies its PINs and writes D/auth.csr and D/sign.csr: PKCS#10
 *        signed inside the SIM's tokens, for `mssp ra register --auth-csr D/auth.csr --sign-csr D/sign.csr`;
 *   node -r @swc-node/register hsm-sim/handset/enrol.ts install --sims DIR --msisdn 35850000001 --auth auth.pem --sign sign.pem
 *        installs the certificates the RA issued into the SIM (DIR/sims.json), so its signatures carry them.
 */
function der(file: string): Buffer {
  const text = readFileSync(file);
  const pem = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(text.toString('latin1'));
  return pem?.[1] !== undefined ? Buffer.from(pem[1].replace(/\s+/g, ''), 'base64') : text;
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      sims: { type: 'string' },
      msisdn: { type: 'string' },
      'out-dir': { type: 'string' },
      'key-type': { type: 'string', default: 'P-256' },
      auth: { type: 'string' },
      sign: { type: 'string' },
    },
    strict: true,
  });
  const [command] = positionals;
  if (values.sims === undefined || values.msisdn === undefined) throw new Error('--sims DIR and --msisdn are required');
  const dir = resolve(values.sims);
  const msisdn = values.msisdn.replace(/^\+/, '');
  if (command === 'install') {
    if (values.auth === undefined || values.sign === undefined) throw new Error('install needs --auth and --sign certificate files');
    const records = readSimRecords(dir);
    const i = records.findIndex((r) => r.msisdn === msisdn);
    const record = records[i];
    if (record === undefined) throw new Error(`no SIM ${msisdn} in ${dir}`);
    records[i] = { ...record, certificates: { auth: der(values.auth).toString('base64'), sign: der(values.sign).toString('base64') } } satisfies SimRecord;
    saveRecords(dir, records);
    process.stdout.write(`${JSON.stringify({ installed: msisdn, iccid: record.iccid })}\n`);
    return;
  }
  if (command !== 'requests') throw new Error('command: requests or install');
  if (values['out-dir'] === undefined) throw new Error('requests needs --out-dir');
  // Before the library loads: SoftHSM2 reads SOFTHSM2_CONF in C_Initialize.
  process.env.SOFTHSM2_CONF = simSetEnvironment(dir).confPath;
  const tokens = CardTokenDirectory.open(SOFTHSM_MODULE_PATH);
  try {
    const keyType = values['key-type'] as SimKeyType;
    if (keyType !== 'P-256' && keyType !== 'RSA-2048') throw new Error('--key-type: P-256 or RSA-2048');
    const [record] = (await provisionSimSet({ dir, tokens, msisdns: [msisdn], keyType })).records;
    if (record === undefined) throw new Error(`SIM ${msisdn} could not be made`);
    const card = openSimCard(dir, tokens, record);
    try {
      mkdirSync(values['out-dir'], { recursive: true });
      for (const which of ['auth', 'sign'] as const) {
        const pin = await card.verifyPin(which, record.pins[which]);
        if (pin !== 'ok') throw new Error(`SIM ${msisdn}: its ${which} PIN is ${pin}`);
        writeFileSync(join(values['out-dir'], `${which}.csr`), await certificationRequest(card, which));
      }
    } finally {
      await card.close();
    }
    process.stdout.write(`${JSON.stringify({ requests: msisdn, iccid: record.iccid, outDir: values['out-dir'] })}\n`);
  } finally {
    await tokens.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`enrol: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
