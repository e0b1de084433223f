/**
 * Whether an operation runs on the event loop (synchronous pkcs11js call) or on a libuv thread (callback
 * form). Measured on this 2-core machine with SoftHSM2 (bench/hsm.ts): handing a call to the thread pool
 * and back costs about 60-70 µs. A P-256 signature takes about 40 µs, so the hand-off more than doubles its
 * cost (25,000/s inline against 9,500/s async for one caller, and 17,000/s async for four); an RSA-2048
 * signature takes about 550 µs, so the hand-off is cheap and four callers get both cores (3,100/s against
 * 1,800/s inline). A network HSM takes milliseconds per call, which must never block the event loop.
 *
 * So each kind of operation is timed: while the median of its last few synchronous durations stays under
 * the threshold it runs inline (like node:crypto's own sign()), timed once every INLINE_SAMPLE_EVERY calls;
 * above, it runs on the thread pool, with one timed inline probe every ASYNC_PROBE_EVERY calls in case the
 * cost fell. The first WINDOW calls are timed inline probes; a median rather than a mean, because the first
 * use of a key is slow (the token loads it) and must not decide.
 */
const WINDOW = 5;
const INLINE_SAMPLE_EVERY = 32;
const ASYNC_PROBE_EVERY = 1000;

/** 'async': thread pool; 'inline': synchronous; 'timed': synchronous, and report the duration to record(). */
export type Placement = 'async' | 'inline' | 'timed';

export class OperationTimer {
  private readonly recent: number[] = [];
  private readonly scratch: number[] = [];
  private next = 0;
  private estimate = 0;
  private sinceProbe = 0;

  constructor(private readonly thresholdMicros: number) {}

  place(): Placement {
    if (this.recent.length < WINDOW) return 'timed';
    this.sinceProbe += 1;
    if (this.estimate < this.thresholdMicros) {
      if (this.sinceProbe < INLINE_SAMPLE_EVERY) return 'inline';
    } else if (this.sinceProbe < ASYNC_PROBE_EVERY) {
      return 'async';
    }
    this.sinceProbe = 0;
    return 'timed';
  }

  record(micros: number): void {
    if (this.recent.length < WINDOW) this.recent.push(micros);
    else this.recent[this.next] = micros;
    this.next = (this.next + 1) % WINDOW;
    // Insertion sort into a reused array: this runs on every inline call.
    const sorted = this.scratch;
    sorted.length = 0;
    for (const value of this.recent) {
      let i = sorted.length;
      while (i > 0 && (sorted[i - 1] ?? 0) > value) {
        sorted[i] = sorted[i - 1] ?? 0;
        i -= 1;
      }
      sorted[i] = value;
    }
    this.estimate = sorted[sorted.length >> 1] ?? 0;
  }

  get mode(): 'inline' | 'async' {
    return this.recent.length < WINDOW || this.estimate < this.thresholdMicros ? 'inline' : 'async';
  }

  /** Median of the recent synchronous durations. */
  get microseconds(): number {
    return this.estimate;
  }
}

/** Timers per operation kind (a prepared mechanism) and size class (key bits, or message length bucket). */
export class InlinePolicy {
  private readonly timers = new Map<object, Map<number, OperationTimer>>();

  /** `thresholdMicros` 0 runs everything on the thread pool. */
  constructor(readonly thresholdMicros: number) {}

  timer(kind: object, size: number): OperationTimer | undefined {
    if (this.thresholdMicros <= 0) return undefined;
    let bySize = this.timers.get(kind);
    if (bySize === undefined) {
      bySize = new Map();
      this.timers.set(kind, bySize);
    }
    let timer = bySize.get(size);
    if (timer === undefined) {
      timer = new OperationTimer(this.thresholdMicros);
      bySize.set(size, timer);
    }
    return timer;
  }
}

/** Message-length size class: operations on similar lengths share a timer. */
export function lengthClass(length: number): number {
  return 32 - Math.clz32(length);
}
