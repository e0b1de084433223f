import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { createLogger, type Logger } from '../../../src/log';
import {
  softwareOtaCrypto,
  type CcAlgorithm,
  type CipherAlgorithm,
  type Kic,
  type Kid,
  type MinimumSecurityLevel,
  type OtaCrypto,
  type SimOtaContext,
  type SimTarProfile,
  type Spi,
} from '../../../src/channel/ota';

export function silentLog(): Logger {
  return createLogger({ level: 'silent' });
}

/** A logger whose JSON lines the test can read back. */
export function capturedLog(): { readonly log: Logger; lines(): Promise<Record<string, unknown>[]> } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const log = createLogger({ level: 'info', destination: stream });
  return {
    log,
    async lines() {
      log.flush();
      await new Promise((r) => setImmediate(r));
      const text = Buffer.concat(chunks).toString('utf8').trim();
      return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

export const SIM = 'sim-001';
export const TAR = Buffer.from('c00001', 'hex');

export const KEY_LENGTH: Readonly<Record<CipherAlgorithm, number>> = { 'AES-CBC': 16, '3DES-2KEY-CBC': 16, '3DES-3KEY-CBC': 24 };
export const MAC_FOR: Readonly<Record<CipherAlgorithm, CcAlgorithm>> = { 'AES-CBC': 'AES-CMAC', '3DES-2KEY-CBC': '3DES-2KEY-MAC', '3DES-3KEY-CBC': '3DES-3KEY-MAC' };

/** A key set for one SIM: fresh random keys each run (software keys, tests only). */
export function keySet(algorithm: CipherAlgorithm, version = 1, aesLength = 16): { readonly kic: Kic; readonly kid: Kid; readonly crypto: OtaCrypto } {
  const length = algorithm === 'AES-CBC' ? aesLength : KEY_LENGTH[algorithm];
  return {
    kic: { algorithm, keyVersion: version },
    kid: { algorithm: MAC_FOR[algorithm], keyVersion: version },
    crypto: softwareOtaCrypto([
      { ref: { sim: SIM, key: 'KIc', version }, secret: randomBytes(length) },
      { ref: { sim: SIM, key: 'KID', version }, secret: randomBytes(length) },
    ]),
  };
}

/** AES ciphering, AES-CMAC, counter must be higher, PoR always, with CC, ciphered, in the DELIVER-REPORT. */
export const STRONG_SPI: Spi = {
  checksum: 'cc',
  ciphered: true,
  counter: 'higher',
  por: 'always',
  porChecksum: 'cc',
  porCiphered: true,
  porTransport: 'sms-deliver-report',
};

export const STRONG_MSL: MinimumSecurityLevel = { checksum: 'cc', ciphered: true, counter: 'higher' };

export function simContext(crypto: OtaCrypto, profile: Partial<SimTarProfile> = {}, log: Logger = silentLog()): SimOtaContext {
  const full: SimTarProfile = { minimumSecurity: STRONG_MSL, counter: 0n, ...profile };
  return { sim: SIM, crypto, log, lookupTar: (tar) => (tar.equals(TAR) ? full : undefined) };
}
