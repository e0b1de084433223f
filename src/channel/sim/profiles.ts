import type { Kic, Kid, Spi } from '../ota';

/** What the platform must know about a subscriber's SIM to reach its signature applet. */
export interface SimProfile {
  /** E.164 digits without '+'. */
  readonly msisdn: string;
  /** Names the SIM to the OTA key store (OtaKeyRef.sim): its ICCID. */
  readonly sim: string;
  /** The signature applet's TAR, 3 octets. */
  readonly tar: Uint8Array;
  readonly kic: Kic;
  readonly kid: Kid;
}

export interface SimDirectory {
  lookup(msisdn: string): SimProfile | undefined | Promise<SimProfile | undefined>;
}

/** The CNTR to send next to a SIM: strictly higher than every one sent before (TS 102 225 counter rules). */
export interface CounterSource {
  next(sim: string): bigint | Promise<bigint>;
}

/**
 * SPI '16 39' (applet/FORMAT.md): CC, ciphered, counter must be higher; PoR always, with CC, ciphered,
 * via SMS-SUBMIT (the citizen answers when ready, not within a DELIVER-REPORT).
 */
export const APPLET_SPI: Spi = {
  checksum: 'cc',
  ciphered: true,
  counter: 'higher',
  por: 'always',
  porChecksum: 'cc',
  porCiphered: true,
  porTransport: 'sms-submit',
};

/**
 * SPI '16 00' of a client order the SIM sends unasked (applet/FORMAT.md, "Client order"): CC, ciphered, counter
 * must be higher; no PoR (the platform answers with a receipt on the phone, not at the OTA layer).
 */
export const ORDER_SPI: Spi = {
  checksum: 'cc',
  ciphered: true,
  counter: 'higher',
  por: 'none',
  porChecksum: 'none',
  porCiphered: false,
  porTransport: 'sms-deliver-report',
};

export function normaliseMsisdn(address: string): string {
  return address.replace(/^\+/, '').replace(/\s+/g, '');
}

export class MemorySimDirectory implements SimDirectory {
  private readonly byMsisdn = new Map<string, SimProfile>();

  constructor(profiles: Iterable<SimProfile> = []) {
    for (const p of profiles) this.add(p);
  }

  add(profile: SimProfile): this {
    this.byMsisdn.set(normaliseMsisdn(profile.msisdn), profile);
    return this;
  }

  lookup(msisdn: string): SimProfile | undefined {
    return this.byMsisdn.get(normaliseMsisdn(msisdn));
  }
}

/**
 * The clock reading counters start from: (milliseconds since 2020) × 1.024, i.e. 1024 per second as before but
 * read to the millisecond, so a platform restarted within the same second as its last start still starts above
 * the counters it sent (it never falls below the older whole-second seed). Below 2^40 until the 2050s.
 */
export function clockCounterSeed(now: number = Date.now()): bigint {
  return ((BigInt(Math.floor(now)) - 1_577_836_800_000n) * 1024n) / 1000n;
}

/**
 * Counters kept in memory, starting from a clock reading (clockCounterSeed) so that a restarted platform still
 * sends counters above those its SIMs stored: 1024 messages per SIM per second of downtime. A deployment keeps
 * counters in the store instead.
 */
export class ClockSeededCounters implements CounterSource {
  private readonly last = new Map<string, bigint>();
  private readonly start: bigint;

  constructor(now: number = Date.now()) {
    this.start = clockCounterSeed(now);
  }

  next(sim: string): bigint {
    const value = (this.last.get(sim) ?? this.start) + 1n;
    this.last.set(sim, value);
    return value;
  }
}

/** Named counters kept where every node sees them, atomic across processes: the store's counters fit. */
export interface SharedCounterStore {
  next(name: string): Promise<bigint>;
  /** Makes sure the next value is above `value`; never moves a counter back. */
  advanceTo(name: string, value: bigint): Promise<void>;
}

/**
 * CNTRs shared by every node (TS 102 225: a SIM refuses a counter not above the last it took, so two nodes
 * must never hand out the same one). Each SIM's counter is first raised to the clock seed of ClockSeededCounters,
 * so SIMs that took clock-seeded counters before (one node, memory counters) still accept these.
 */
export class SharedCounters implements CounterSource {
  private readonly seeded = new Set<string>();
  private readonly seed: bigint;

  constructor(
    private readonly store: SharedCounterStore,
    now: number = Date.now(),
  ) {
    this.seed = clockCounterSeed(now);
  }

  async next(sim: string): Promise<bigint> {
    const name = `ota.cntr.${sim}`;
    if (!this.seeded.has(sim)) {
      await this.store.advanceTo(name, this.seed);
      this.seeded.add(sim);
    }
    return this.store.next(name);
  }
}
