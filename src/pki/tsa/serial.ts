import { randomBytes } from 'node:crypto';
import type { CountersRepository } from '../../store';

/**
 * Serial numbers (RFC 3161 §2.4.2: unique for each token from a given TSA, up to 160 bits).
 * The low 64 bits come from a store counter, atomic across processes and kept across restarts; with the
 * default 'random' prefix the high 64 bits are drawn once per TSA instance, so that serials stay unique even
 * when two platform nodes keep separate stores or a store is restored from an older backup.
 */
export interface SerialSource {
  next(): Promise<bigint>;
}

export interface CounterSerialOptions {
  /** Counter name in the store. Default 'tsa.serial'. */
  readonly counterName?: string;
  /** 'random' (default): 64 random bits above the counter. 'none': the counter alone. */
  readonly prefix?: 'random' | 'none';
}

export function counterSerials(counters: Pick<CountersRepository, 'next'>, options: CounterSerialOptions = {}): SerialSource {
  const name = options.counterName ?? 'tsa.serial';
  const prefix = options.prefix === 'none' ? 0n : BigInt(`0x${randomBytes(8).toString('hex')}`) << 64n;
  return {
    async next() {
      const n = await counters.next(name);
      if (n <= 0n || n >= 1n << 64n) throw new RangeError(`counter ${name} is out of the 64-bit range`);
      return prefix | n;
    },
  };
}
