import type { Store } from '../store';
import { checkpointRowFromRecord, entryFromRecord, headFromRecord } from './records';
import type { TimeStampVerifier } from './timestamp';
import { LogVerifier, type AuditProblem, type AuditVerdict, type CheckpointRow, type VerifyOptions } from './verify';

/**
 * Feeds the pure verifier from the store, page by page, so a log of millions of entries verifies in bounded
 * memory (the tree's hashes aside), and the platform may keep appending while it runs.
 */

export interface VerifyStoreOptions extends Omit<VerifyOptions, 'head'> {
  /** Checks each token's CMS signature and TSA certificate (pki); without it only the imprint and time are checked. */
  readonly timeStampVerifier?: TimeStampVerifier;
  /** Told how many entries have been read, after every page. */
  readonly onProgress?: (entries: number) => void;
  readonly pageSize?: number;
}

async function readCheckpoints(store: Pick<Store, 'audit'>, pageSize: number): Promise<CheckpointRow[]> {
  const rows: CheckpointRow[] = [];
  let from = 0n;
  for (;;) {
    const page = await store.audit.checkpoints({ fromSize: from, limit: pageSize });
    rows.push(...page.map(checkpointRowFromRecord));
    const last = page[page.length - 1];
    if (last === undefined || page.length < pageSize) return rows;
    from = last.treeSize + 1n;
  }
}

async function readEntries(store: Pick<Store, 'audit'>, verifier: LogVerifier, from: bigint, pageSize: number, onProgress?: (n: number) => void): Promise<bigint> {
  let next = from;
  let reading = store.audit.entries({ from: next, limit: pageSize });
  for (;;) {
    const page = await reading;
    // Go on after the last seq read (not after the count): a deleted entry must not make us read one twice.
    const last = page[page.length - 1];
    if (last !== undefined) next = last.seq + 1n;
    const more = page.length === pageSize;
    // The next page is read (by the driver, off this thread where it can) while this one is hashed.
    if (more) reading = store.audit.entries({ from: next, limit: pageSize });
    for (const record of page) verifier.add(entryFromRecord(record));
    onProgress?.(verifier.count);
    if (verifier.stopped) {
      if (more) await reading.catch(() => undefined);
      return last !== undefined ? next : from;
    }
    if (!more) return next;
  }
}

export async function verifyStoredLog(store: Pick<Store, 'audit'>, options: VerifyStoreOptions = {}): Promise<AuditVerdict> {
  const pageSize = options.pageSize ?? 5_000;
  // Checkpoints first: every entry a checkpoint covers was committed before it, so it is there when we read entries.
  const checkpoints = await readCheckpoints(store, pageSize);
  const verifier = new LogVerifier(options.stopAtFirstProblem === true);
  let next = await readEntries(store, verifier, 0n, pageSize, options.onProgress);
  // Entries appended while we read are fine; catch up with the head a few times before comparing with it.
  let head = headFromRecord(await store.audit.readHead());
  for (let round = 0; round < 3 && !verifier.stopped && head.size > verifier.count; round++) {
    const before = verifier.count;
    next = await readEntries(store, verifier, next, pageSize, options.onProgress);
    if (verifier.count === before) break;
    head = headFromRecord(await store.audit.readHead());
  }
  const verdict = verifier.finish(checkpoints, { ...options, head });
  if (options.timeStampVerifier === undefined || verdict.pendingTimeStamps.length === 0) {
    if (verdict.pendingTimeStamps.length === 0) return verdict;
    return { ...verdict, warnings: [...verdict.warnings, 'time-stamp token signatures were not checked (no TSA verifier is configured); their imprints and times were'] };
  }
  const extra: AuditProblem[] = [];
  for (const pending of verdict.pendingTimeStamps) {
    const check = await options.timeStampVerifier.verify(pending.token, pending.digest, 'SHA-256');
    if (!check.ok) extra.push({ where: 'checkpoint', treeSize: pending.treeSize, message: `its time-stamp token does not verify: ${check.reason}` });
  }
  const problems = [...verdict.problems, ...extra];
  return { ...verdict, problems, ok: problems.length === 0, pendingTimeStamps: [] };
}
