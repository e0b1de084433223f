import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a SIM remembers across power cycles, besides the keys in its tokens: the OTA counter per TAR and the
 * PIN retry counters. Written synchronously before the SIM acts on what changed it: a counter is stored
 * before the command is processed, a wrong PIN is counted before the user sees the result, so killing the
 * handset process never gives a replay or an extra PIN try. One fixed-size record (RECORD_OCTETS, padded with
 * spaces) rewritten in place with one pwrite on a file kept open, like an EEPROM record on a card: a
 * write-temporary-and-rename cost ~0.8 ms per command here, more than all the SIM's cryptography.
 */

export type PinName = 'auth' | 'sign';

export interface PinState {
  /** Wrong tries since the last right one. */
  readonly wrongTries: number;
  readonly blocked: boolean;
}

export interface SimStateData {
  /** Last accepted CNTR per TAR (hex), as decimal strings. */
  readonly counters: Readonly<Record<string, string>>;
  readonly pins: Readonly<Record<PinName, PinState>>;
}

const FRESH: SimStateData = {
  counters: {},
  pins: { auth: { wrongTries: 0, blocked: false }, sign: { wrongTries: 0, blocked: false } },
};

/** Room for the counters of a few TARs and both PINs. */
export const RECORD_OCTETS = 512;

export class SimStateFile {
  private data: SimStateData;
  private fd: number | undefined;

  constructor(private readonly path: string) {
    this.data = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as SimStateData) : FRESH;
  }

  static inDirectory(dir: string, iccid: string): SimStateFile {
    mkdirSync(dir, { recursive: true });
    return new SimStateFile(join(dir, `${iccid}.json`));
  }

  counter(tarHex: string): bigint {
    return BigInt(this.data.counters[tarHex] ?? '0');
  }

  pin(name: PinName): PinState {
    return this.data.pins[name];
  }

  setCounter(tarHex: string, value: bigint): void {
    this.write({ ...this.data, counters: { ...this.data.counters, [tarHex]: value.toString() } });
  }

  setPin(name: PinName, state: PinState): void {
    const old = this.data.pins[name];
    if (old.wrongTries === state.wrongTries && old.blocked === state.blocked) return;
    this.write({ ...this.data, pins: { ...this.data.pins, [name]: state } });
  }

  private write(next: SimStateData): void {
    const text = JSON.stringify(next);
    if (text.length > RECORD_OCTETS) throw new Error(`SIM state above ${RECORD_OCTETS} octets`);
    this.fd ??= openSync(this.path, existsSync(this.path) ? 'r+' : 'w+', 0o600);
    writeSync(this.fd, text.padEnd(RECORD_OCTETS, ' '), 0, 'utf8');
    this.data = next;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
