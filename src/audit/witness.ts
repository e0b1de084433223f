import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log';
import type { Store } from '../store';
import { formatSignedNote } from './checkpoint';
import { AuditError } from './errors';
import type { AuditLog } from './log';
import { checkpointFromRecord } from './records';
import type { WitnessedCheckpoint } from './verify';
import { checkpointFromJson, checkpointToJson, type CheckpointJson } from './wire';

/**
 * Witnesses hold copies of our checkpoints outside our database, so that whoever rewrites the database cannot
 * also rewrite what others already hold. The store records what each witness took (audit_witness_exports):
 * a failed push is retried with back-off and nothing is lost across restarts, because what is pending is
 * always "every checkpoint above the last one recorded for that witness".
 */

export interface Witness {
  /** Stable name, recorded with every export: `file:<path>` or `http:<url>`. */
  readonly name: string;
  push(checkpoint: CheckpointJson): Promise<void>;
}

/** Appends one JSON line per checkpoint (checkpointToJson) and syncs it to disk before reporting success. */
export function fileWitness(path: string): Witness {
  return {
    name: `file:${path}`,
    async push(checkpoint) {
      await mkdir(dirname(path), { recursive: true });
      const file = await open(path, 'a', 0o600);
      try {
        await file.write(`${JSON.stringify(checkpoint)}\n`);
        await file.datasync();
      } finally {
        await file.close();
      }
    },
  };
}

function withoutCredentials(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

/** POSTs each checkpoint as application/json; any 2xx answer means the witness holds it. */
export function httpWitness(url: string, options: { timeoutMs?: number } = {}): Witness {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new AuditError('WITNESS_FAILED', 'a witness URL must be http:// or https://');
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    name: `http:${withoutCredentials(target)}`,
    async push(checkpoint) {
      const res = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(checkpoint),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status > 299) throw new AuditError('WITNESS_FAILED', `witness ${target.host} answered HTTP ${res.status}`);
    },
  };
}

/** The checkpoints a witness file holds, for `mssp audit verify`. */
export async function readWitnessFile(path: string): Promise<WitnessedCheckpoint[]> {
  const text = await readFile(path, 'utf8');
  const out: WitnessedCheckpoint[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const checkpoint = checkpointFromJson(JSON.parse(line) as unknown);
      out.push({ witness: `file:${path}`, treeSize: checkpoint.treeSize, note: formatSignedNote(checkpoint) });
    } catch (err) {
      throw new AuditError('BAD_ENTRY', `witness file ${path} line ${i + 1} is not a checkpoint: ${(err as Error).message}`, { cause: err });
    }
  });
  return out;
}

export interface WitnessExporterOptions {
  /** First retry delay after a failure; doubles with each failure in a row. Default 1 s. */
  readonly retryBaseMs?: number;
  /** Longest retry delay. Default 5 minutes. */
  readonly retryMaxMs?: number;
  readonly logger?: Logger;
}

export interface ExportReport {
  readonly witness: string;
  /** Sizes of the checkpoints pushed in this round. */
  readonly exported: number[];
  readonly error?: Error;
}

interface WitnessState {
  running?: Promise<ExportReport>;
  /** A checkpoint came while a round was running: that round may have missed it, so another follows. */
  again: boolean;
  failures: number;
  retry?: NodeJS.Timeout;
}

const PAGE = 100;

export class WitnessExporter {
  private readonly state = new Map<string, WitnessState>();
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly store: Pick<Store, 'audit'>,
    private readonly witnesses: readonly Witness[],
    private readonly options: WitnessExporterOptions = {},
  ) {
    for (const w of witnesses) this.state.set(w.name, { failures: 0, again: false });
  }

  /** Pushes what is pending now and after every checkpoint `log` stores; failures are retried with back-off. */
  start(log: AuditLog): void {
    this.stopped = false;
    this.unsubscribe = log.onCheckpoint(() => this.kick());
    this.kick();
  }

  /** Starts a round for every witness not already in one. */
  kick(): void {
    for (const witness of this.witnesses) void this.round(witness, true);
  }

  /** One round for every witness, without scheduling retries (what `mssp audit checkpoint` uses). */
  exportPending(): Promise<ExportReport[]> {
    return Promise.all(this.witnesses.map((w) => this.round(w, false)));
  }

  private round(witness: Witness, retry: boolean): Promise<ExportReport> {
    const state = this.state.get(witness.name) as WitnessState;
    if (state.running !== undefined) {
      state.again = true;
      return state.running;
    }
    state.running = this.push(witness)
      .then((report) => {
        if (report.error === undefined) state.failures = 0;
        else this.failed(witness, state, report.error, retry);
        return report;
      })
      .finally(() => {
        state.running = undefined;
        // After a failure the back-off timer runs the next round; otherwise catch up with what came meanwhile.
        if (state.again && !this.stopped && state.failures === 0) {
          state.again = false;
          void this.round(witness, retry);
        }
      });
    return state.running;
  }

  private failed(witness: Witness, state: WitnessState, error: Error, retry: boolean): void {
    state.failures += 1;
    const base = this.options.retryBaseMs ?? 1_000;
    const delay = Math.min(base * 2 ** (state.failures - 1), this.options.retryMaxMs ?? 300_000);
    this.options.logger?.warn({ err: error, witness: witness.name, retryInMs: retry ? delay : undefined }, 'audit checkpoint not exported to witness');
    if (!retry || this.stopped) return;
    clearTimeout(state.retry);
    state.retry = setTimeout(() => void this.round(witness, true), delay);
    state.retry.unref();
  }

  private async push(witness: Witness): Promise<ExportReport> {
    const exported: number[] = [];
    try {
      for (;;) {
        const last = await this.store.audit.lastExport(witness.name);
        const records = await this.store.audit.checkpoints({ fromSize: (last ?? 0n) + 1n, limit: PAGE });
        for (const record of records) {
          await witness.push(checkpointToJson(checkpointFromRecord(record)));
          await this.store.audit.recordExport(witness.name, record.treeSize);
          exported.push(Number(record.treeSize));
        }
        if (records.length < PAGE) return { witness: witness.name, exported };
      }
    } catch (err) {
      return { witness: witness.name, exported, error: err instanceof Error ? err : new Error(String(err)) };
    }
  }

  /** Cancels retries and waits for rounds in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const state of this.state.values()) {
      clearTimeout(state.retry);
      state.again = false;
      while (state.running !== undefined) await state.running;
    }
  }
}
