import { mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Config } from '../config';
import { openHsm, type Hsm } from '../hsm';
import { openStore, type Store } from '../store';
import type { Logger } from '../log';

/** SoftHSM2 reads SOFTHSM2_CONF when the module initialises, so it must be in the environment before the module loads. */
export function isSoftHsm(config: Config): boolean {
  return /softhsm/i.test(basename(config.pkcs11Module));
}

export function prepareHsmEnvironment(config: Config): void {
  if (isSoftHsm(config)) process.env.SOFTHSM2_CONF = config.softhsmConf;
}

export async function openPlatformHsm(config: Config, logger?: Logger): Promise<Hsm> {
  prepareHsmEnvironment(config);
  return openHsm({
    modulePath: config.pkcs11Module,
    tokenLabel: config.pkcs11Token,
    pin: config.pkcs11Pin,
    poolSize: config.hsmPoolSize,
    ...(logger ? { logger } : {}),
  });
}

export async function openPlatformStore(config: Config): Promise<Store> {
  if (config.databaseUrl === undefined) mkdirSync(dirname(config.sqliteFile), { recursive: true });
  return openStore({
    sqliteFile: config.sqliteFile,
    ...(config.databaseUrl !== undefined ? { databaseUrl: config.databaseUrl } : {}),
    ...(config.databaseSchema !== undefined ? { postgresSchema: config.databaseSchema } : {}),
  });
}
