import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a SIM remembers across power cycles, besides the keys in its tokens: the OTA counter per TAR and the
 * PIN retry counters. Written synchronously (temporary file + rename) before the SIM acts on what changed
 * it: a counter is stored before the command is processed, a wrong PIN is counted before the user sees the
 * result, so killing the handset process never gives a replay or an extra PIN try.
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

export class SimStateFile {
  private data: SimStateData;

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
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(next));
    renameSync(tmp, this.path);
    this.data = next;
  }
}
