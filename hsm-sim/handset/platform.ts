import { MemorySimDirectory, otaKeyLabel, type SimProfile } from '../../src/channel/sim';
import type { Hsm, HsmKey } from '../../src/hsm';
import type { SimRecord } from './sim-set';

/**
 * The operator's side of personalisation: what the platform learns from a SIM set's personalisation file.
 * The OTA keys go into the platform HSM (sensitive, never extractable) under the labels deviceOtaCrypto
 * looks for; the profiles go to the platform's SIM directory.
 */
export function simProfile(record: SimRecord): SimProfile {
  return {
    msisdn: record.msisdn,
    sim: record.iccid,
    tar: Buffer.from(record.tar, 'hex'),
    kic: { algorithm: 'AES-CBC', keyVersion: record.ota.version },
    kid: { algorithm: 'AES-CMAC', keyVersion: record.ota.version },
  };
}

export function simDirectory(records: readonly SimRecord[]): MemorySimDirectory {
  return new MemorySimDirectory(records.map(simProfile));
}

/**
 * Imports each SIM's KIc and KID into the platform HSM, skipping those already there, and returns every
 * key's handle by label (for deviceOtaCrypto's `known`). `token: false` makes session keys (gone when the
 * Hsm closes): benchmarks use that, as a token object costs SoftHSM2 a file.
 */
export async function importOtaKeys(hsm: Hsm, records: readonly SimRecord[], options: { readonly token?: boolean } = {}): Promise<Map<string, HsmKey>> {
  const handles = new Map<string, HsmKey>();
  for (const record of records) {
    for (const key of ['KIc', 'KID'] as const) {
      const label = otaKeyLabel({ sim: record.iccid, key, version: record.ota.version });
      if (options.token !== false) {
        const present = await hsm.findKey({ class: 'secretKey', label }).catch(() => undefined);
        if (present !== undefined) {
          handles.set(label, present);
          continue;
        }
      }
      const value = Buffer.from(key === 'KIc' ? record.ota.kic : record.ota.kid, 'hex');
      handles.set(label, await hsm.importAesKey(value, { label, usage: key === 'KIc' ? 'cipher' : 'mac', token: options.token ?? true }));
    }
  }
  return handles;
}
