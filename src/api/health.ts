/** A dependency the platform cannot serve without (store, HSM token). `check` rejects when it is unusable. */
export interface HealthProbe {
  readonly name: string;
  check(): Promise<void>;
}

export interface HealthReport {
  readonly status: 'ok' | 'failing';
  readonly checks: Readonly<Record<string, { status: 'ok' | 'failing'; ms: number; error?: string }>>;
}

const PROBE_TIMEOUT_MS = 2_000;

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs every probe at once, each bounded in time, so one hung dependency cannot hang /healthz. */
export async function runHealthChecks(probes: readonly HealthProbe[], timeoutMs = PROBE_TIMEOUT_MS): Promise<HealthReport> {
  const entries = await Promise.all(
    probes.map(async (probe) => {
      const started = performance.now();
      try {
        await withTimeout(probe.check(), timeoutMs);
        return [probe.name, { status: 'ok' as const, ms: Math.round(performance.now() - started) }] as const;
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        return [probe.name, { status: 'failing' as const, ms: Math.round(performance.now() - started), error }] as const;
      }
    }),
  );
  const checks = Object.fromEntries(entries);
  const status = entries.every(([, r]) => r.status === 'ok') ? 'ok' : 'failing';
  return { status, checks };
}
