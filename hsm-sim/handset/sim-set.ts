import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CardTokenDirectory, KeyPairSpec } from '../../src/hsm';
import { createSoftHsmEnvironment, type SoftHsmEnvironment } from '../softhsm';
import { openSimIssuer } from './issuer';

/**
 * A set of simulated SIMs in one folder, made once and reused (a cache):
 *   <dir>/softhsm2.conf, <dir>/tokens/   the SoftHSM2 tokens: two per SIM (sim-<iccid>-auth, sim-<iccid>-sign)
 *   <dir>/sims.json                      the personalisation file: MSISDN, ICCID, TAR, PINs, PUKs, OTA keys,
 *                                        certificates (what a card vendor hands the operator)
 *   <dir>/state/<iccid>.json             counters and PIN retry state (sim-state.ts)
 *   <dir>/issuer.json                    the stand-in CA (issuer.ts)
 * The OTA key octets are in sims.json because the platform HSM must get the same keys (importOtaKeys): in
 * the field they travel encrypted under a transport key; here the file is test material, like the tokens.
 */

export type SimKeyType = 'P-256' | 'RSA-2048';

export interface SimRecord {
  readonly msisdn: string;
  readonly iccid: string;
  readonly keyType: SimKeyType;
  /** The signature applet's TAR, hex. */
  readonly tar: string;
  readonly pins: { readonly auth: string; readonly sign: string };
  readonly puks: { readonly auth: string; readonly sign: string };
  /** AES-128 KIc and KID, key version 1, hex. */
  readonly ota: { readonly version: number; readonly kic: string; readonly kid: string };
  /** DER certificates (base64) of the two keys. */
  readonly certificates: { readonly auth: string; readonly sign: string };
}

/** The applet TAR every simulated SIM uses (an operator-assigned value). */
export const APPLET_TAR = 'b00010';

export function iccidFor(msisdn: string): string {
  return `89${msisdn.padStart(17, '0')}`.slice(-19);
}

export function tokenLabels(iccid: string): { auth: string; sign: string } {
  return { auth: `sim-${iccid}-auth`, sign: `sim-${iccid}-sign` };
}

export function simSetEnvironment(dir: string): SoftHsmEnvironment {
  return createSoftHsmEnvironment(resolve(dir));
}

export function readSimRecords(dir: string): SimRecord[] {
  const file = join(dir, 'sims.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SimRecord[]) : [];
}

export function saveRecords(dir: string, records: readonly SimRecord[]): void {
  const file = join(dir, 'sims.json');
  writeFileSync(`${file}.tmp`, JSON.stringify(records, null, 1));
  renameSync(`${file}.tmp`, file);
}

function digits(n: number): string {
  let out = '';
  for (let i = 0; i < n; i += 1) out += String(randomInt(10));
  return out;
}

export interface ProvisionOptions {
  readonly dir: string;
  /** The SoftHSM2 library whose SOFTHSM2_CONF is `<dir>/softhsm2.conf` (set before the directory was opened). */
  readonly tokens: CardTokenDirectory;
  readonly msisdns: readonly string[];
  readonly keyType: SimKeyType;
  /** Progress, every 100 SIMs. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ProvisionResult {
  readonly records: SimRecord[];
  readonly created: number;
  readonly ms: number;
}

/**
 * Makes the SIMs of `msisdns` that the folder does not hold yet (keys made inside their tokens, OTA keys
 * imported, certificates issued) and returns the records of all of them.
 */
export async function provisionSimSet(options: ProvisionOptions): Promise<ProvisionResult> {
  const started = performance.now();
  mkdirSync(options.dir, { recursive: true });
  const records = readSimRecords(options.dir);
  const known = new Map(records.map((r) => [r.msisdn, r]));
  const issuer = await openSimIssuer(join(options.dir, 'issuer.json'));
  const spec: KeyPairSpec = options.keyType === 'P-256' ? { type: 'EC', curve: 'P-256' } : { type: 'RSA', modulusBits: 2048 };
  let created = 0;
  for (const msisdn of options.msisdns) {
    const existing = known.get(msisdn);
    if (existing !== undefined) {
      if (existing.keyType !== options.keyType) throw new Error(`SIM ${msisdn} in ${options.dir} has ${existing.keyType} keys, not ${options.keyType}`);
      continue;
    }
    const iccid = iccidFor(msisdn);
    const labels = tokenLabels(iccid);
    const pins = { auth: digits(4), sign: digits(5) };
    const puks = { auth: digits(8), sign: digits(8) };
    const ota = { version: 1, kic: randomBytes(16).toString('hex'), kid: randomBytes(16).toString('hex') };
    const certificates: Record<'auth' | 'sign', string> = { auth: '', sign: '' };
    for (const which of ['auth', 'sign'] as const) {
      const label = labels[which];
      if (!options.tokens.has(label)) options.tokens.initializeToken({ label, soPin: puks[which], userPin: pins[which] });
      const token = options.tokens.openToken(label);
      try {
        await token.login(pins[which]);
        const pair = await token.generateKeyPair(spec, { label: which });
        if (which === 'auth') {
          await token.importAesKey(Buffer.from(ota.kic, 'hex'), { label: `KIc/${ota.version}`, usage: 'cipher', private: false });
          await token.importAesKey(Buffer.from(ota.kid, 'hex'), { label: `KID/${ota.version}`, usage: 'mac', private: false });
        }
        const spki = await token.publicKeySpki(pair.publicKey);
        const der = await issuer.issue(`CN=SIM ${iccid} ${which} key`, spki, spec.type, `${which === 'auth' ? '0a' : '0b'}${iccid}`);
        certificates[which] = der.toString('base64');
      } finally {
        await token.close();
      }
    }
    const record: SimRecord = { msisdn, iccid, keyType: options.keyType, tar: APPLET_TAR, pins, puks, ota, certificates };
    records.push(record);
    known.set(msisdn, record);
    created += 1;
    if (created % 100 === 0) {
      saveRecords(options.dir, records);
      options.onProgress?.(created, options.msisdns.length);
    }
  }
  if (created > 0) saveRecords(options.dir, records);
  const wanted = new Set(options.msisdns);
  return { records: records.filter((r) => wanted.has(r.msisdn)), created, ms: performance.now() - started };
}
