import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { createSoftHsmEnvironment, ensureToken } from '../../hsm-sim/softhsm';
import { isSoftHsm, openPlatformHsm, openPlatformStore } from './platform';
import type { CliOutput } from './output';

export const INSTANCE_ID_SETTING = 'platform.instanceId';

/** Makes a data folder ready: SoftHSM2 token (when the module is SoftHSM2), store and migrations. Safe to run again. */
export async function initPlatform(config: Config, out: CliOutput): Promise<void> {
  out.step(`data folder ${config.dataDir}`);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  if (isSoftHsm(config)) {
    const env = createSoftHsmEnvironment(dirname(config.softhsmConf), config.pkcs11Module, config.softhsmConf);
    const made = ensureToken(env, { label: config.pkcs11Token, soPin: config.pkcs11SoPin, userPin: config.pkcs11Pin });
    out.step(`${made ? 'created' : 'kept'} SoftHSM2 token "${config.pkcs11Token}" (SOFTHSM2_CONF=${env.confPath})`);
  } else {
    out.step(`using token "${config.pkcs11Token}" of ${config.pkcs11Module}: it must already be initialised with your HSM's tools`);
  }

  out.step('logging in to the token');
  const hsm = await openPlatformHsm(config);
  await hsm.close();

  out.step(config.databaseUrl === undefined ? `SQLite store ${config.sqliteFile}` : 'PostgreSQL store');
  const store = await openPlatformStore(config);
  try {
    const { applied } = await store.migrate();
    out.step(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'store schema is up to date');
    const existing = await store.settings.get(INSTANCE_ID_SETTING);
    if (existing === undefined) await store.settings.set(INSTANCE_ID_SETTING, randomUUID());
  } finally {
    await store.close();
  }
  out.result(`initialised ${config.dataDir}`);
}
