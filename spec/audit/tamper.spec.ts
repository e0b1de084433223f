import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkpointImprint,
  describeProblem,
  formatNoteBody,
  keyIdOf,
  LogVerifier,
  parseNoteBody,
  prepareEntry,
  sealEntry,
  verifyAuditRows,
  type AuditEntry,
  type AuditVerdict,
  type CheckpointRow,
  type VerifyOptions,
} from '../../src/audit';
import { buildMemoryLog, reseal, sampleEntry, softwareSigner, type MemoryLog } from './support/memory-log';
import { makeOpensslTsa, type OpensslTsa } from './support/openssl-tsa';
import { opensslVerify } from '../hsm/support';

/**
 * Issue 6, "How it is checked": for every entry of a generated log of 1,000 entries, edit, delete, insert and
 * swap-with-neighbour are each detected; likewise for checkpoints. The verifier is pure, so these run in memory;
 * store-tamper.spec.ts and cli.spec.ts repeat a sample through the databases and the CLI.
 */

const SIZE = 1000;
const signer = softwareSigner();
let tsa: OpensslTsa;
let log: MemoryLog;
let options: VerifyOptions;

beforeAll(async () => {
  tsa = makeOpensslTsa();
  log = await buildMemoryLog({ size: SIZE, checkpointEvery: 100, signer, timeStamper: tsa.stamper });
  options = { trustedKeys: [signer.publicKey], requireTimeStamps: true };
});

const flip = (b: Buffer, at = 0): Buffer => {
  const copy = Buffer.from(b);
  copy[at % copy.length] = (copy[at % copy.length] as number) ^ 0x01;
  return copy;
};

function verify(entries: readonly AuditEntry[], checkpoints: readonly CheckpointRow[] = log.checkpoints, extra: VerifyOptions = {}): AuditVerdict {
  return verifyAuditRows(entries, checkpoints, { ...options, ...extra });
}

/** The first problem names an entry within `seqs` (a forged insert is only found at the entry after it). */
function expectEntryProblem(verdict: AuditVerdict, seqs: readonly number[], what: string): void {
  if (verdict.ok) throw new Error(`${what}: not detected`);
  const first = verdict.problems[0];
  if (first?.where === 'entry' && seqs.includes(first.seq)) return;
  // Cutting the last entry leaves every remaining entry intact: the checkpoint over all of them says what is gone.
  if (first?.where === 'checkpoint' && seqs.includes(SIZE - 1)) return;
  throw new Error(`${what}: first problem was "${first ? describeProblem(first) : 'none'}", expected entry ${seqs.join(' or ')}`);
}

function expectCheckpointProblem(verdict: AuditVerdict, what: string): void {
  if (verdict.ok) throw new Error(`${what}: not detected`);
  if (!verdict.problems.some((p) => p.where === 'checkpoint')) throw new Error(`${what}: no checkpoint problem among ${verdict.problems.map(describeProblem).join('; ')}`);
}

type EntryEdit = (e: AuditEntry) => AuditEntry;
const EDITS: readonly [string, EntryEdit][] = [
  ['actor id', (e) => ({ ...e, actorId: `${e.actorId}x` })],
  ['actor type', (e) => ({ ...e, actorType: e.actorType === 'system' ? 'operator' : 'system' })],
  ['action', (e) => ({ ...e, action: e.action === 'config.change' ? 'ap.request' : 'config.change' })],
  ['subject', (e) => ({ ...e, subject: `${e.subject}0` })],
  ['outcome', (e) => ({ ...e, outcome: e.outcome === 'ok' ? 'failed' : 'ok' })],
  ['details', (e) => ({ ...e, details: e.details.replace('"tries":', '"tries":1') })],
  ['details spacing', (e) => ({ ...e, details: e.details.replace(':', ': ') })],
  ['evidence hash', (e) => ({ ...e, evidenceHash: e.evidenceHash === null ? Buffer.alloc(32, 7) : flip(e.evidenceHash, 3) })],
  ['time', (e) => ({ ...e, time: new Date(e.time.getTime() + 1) })],
  ['previous hash', (e) => ({ ...e, prevHash: flip(e.prevHash, 9) })],
  ['leaf hash', (e) => ({ ...e, leafHash: flip(e.leafHash, 31) })],
  ['seq', (e) => ({ ...e, seq: e.seq + SIZE })],
];

function forgedAfter(entries: readonly AuditEntry[], k: number): AuditEntry {
  const before = entries[k - 1];
  const head = before === undefined ? { size: 0, lastLeafHash: Buffer.alloc(32), lastTime: null } : { size: k, lastLeafHash: before.leafHash, lastTime: before.time };
  return sealEntry(prepareEntry(sampleEntry(SIZE + k)), head, before?.time ?? new Date(0));
}

describe('the untampered log', () => {
  it('verifies: chain, tree, every checkpoint signature, consistency and time-stamp', () => {
    const verdict = verify(log.entries);
    expect(verdict.problems.map(describeProblem)).toEqual([]);
    expect(verdict).toMatchObject({ ok: true, entries: SIZE, checkpoints: 10, unstamped: [] });
    expect(verdict.stamped).toHaveLength(10);
    expect(verdict.pendingTimeStamps).toHaveLength(10);
  });

  it('each checkpoint signature verifies with openssl dgst, and each time-stamp with openssl ts -verify', () => {
    const dir = mkdtempSync(join(tsa.dir, 'sig-'));
    for (const cp of log.checkpoints) {
      const r = opensslVerify(dir, `cp${cp.treeSize}`, signer.publicKey, 'sha256', Buffer.from(cp.body, 'utf8'), cp.signature);
      expect(r.output).toMatch(/Verified OK/);
      expect(r.status).toBe(0);
      const ts = tsa.verifyWithOpenssl(cp.timeStampToken as Buffer, checkpointImprint(cp.body));
      expect(ts.output).toMatch(/Verification: OK/);
    }
  });
});

/**
 * Tamper cases share the untouched entries before the change: a verifier fed entries 0..k-1 is forked for each
 * case at entry k and fed the tampered tail, so 1,000 × 4+ cases cost what the tails cost. A sample is checked
 * from scratch too, to show the fork gives the same verdict.
 */
function* prefixVerifiers(): Generator<[number, LogVerifier]> {
  const base = new LogVerifier(true);
  for (let k = 0; k < SIZE; k++) {
    yield [k, base];
    base.add(log.entries[k] as AuditEntry);
  }
}

function verifyTail(base: LogVerifier, tail: readonly AuditEntry[], checkpoints: readonly CheckpointRow[] = log.checkpoints): AuditVerdict {
  const verifier = base.fork();
  for (const entry of tail) {
    verifier.add(entry);
    if (verifier.stopped) break;
  }
  return verifier.finish(checkpoints, { ...options, stopAtFirstProblem: true });
}

describe(`tampering with entries: every one of the ${SIZE} entries`, () => {
  it('an edit of any field (each field in turn) is detected at that entry', () => {
    for (const [k, base] of prefixVerifiers()) {
      const [name, edit] = EDITS[k % EDITS.length] as [string, EntryEdit];
      const tail = log.entries.slice(k);
      tail[0] = edit(tail[0] as AuditEntry);
      expectEntryProblem(verifyTail(base, tail), [k], `edit of ${name} at ${k}`);
    }
  });

  it('every field edited at a sample of entries, checked from scratch over the whole log, names that entry', () => {
    for (let k = 0; k < SIZE; k += 97) {
      for (const [name, edit] of EDITS) {
        const entries = log.entries.slice();
        entries[k] = edit(entries[k] as AuditEntry);
        expectEntryProblem(verify(entries), [k], `edit of ${name} at ${k}`);
      }
    }
  });

  it('a deletion is detected', () => {
    for (const [k, base] of prefixVerifiers()) {
      expectEntryProblem(verifyTail(base, log.entries.slice(k + 1)), [k], `deletion of ${k}`);
    }
  });

  it('an insertion (a well-formed forged entry, with or without renumbering what follows) is detected', () => {
    for (const [k, base] of prefixVerifiers()) {
      const forged = forgedAfter(log.entries, k);
      expectEntryProblem(verifyTail(base, [forged, ...log.entries.slice(k)]), [k, k + 1], `insertion before ${k}`);
      const renumbered = [forged, ...log.entries.slice(k).map((e) => ({ ...e, seq: e.seq + 1 }))];
      expectEntryProblem(verifyTail(base, renumbered), [k, k + 1], `renumbered insertion before ${k}`);
    }
  });

  it('a swap with the next entry (rows reordered, or contents exchanged under the same seqs) is detected', () => {
    for (const [k, base] of prefixVerifiers()) {
      if (k === SIZE - 1) break;
      const a = log.entries[k] as AuditEntry;
      const b = log.entries[k + 1] as AuditEntry;
      const rest = log.entries.slice(k + 2);
      expectEntryProblem(verifyTail(base, [b, a, ...rest]), [k], `reordering ${k} and ${k + 1}`);
      expectEntryProblem(verifyTail(base, [{ ...b, seq: k }, { ...a, seq: k + 1 }, ...rest]), [k], `exchanging ${k} and ${k + 1}`);
    }
  });

  it('the forked verdicts equal those of a verification from scratch', () => {
    for (const [k, base] of prefixVerifiers()) {
      if (k % 101 !== 0) continue;
      const tail = log.entries.slice(k + 1);
      expect(verifyTail(base, tail).problems).toEqual(verify(log.entries.filter((_, i) => i !== k), log.checkpoints, { stopAtFirstProblem: true }).problems);
    }
  });

  it('even when the attacker re-hashes the whole chain after the change, the signed checkpoints catch it (every 10th entry)', () => {
    for (const [k, base] of prefixVerifiers()) {
      if (k % 10 !== 3 && k !== SIZE - 1) continue;
      const [name, edit] = EDITS[k % 6] as [string, EntryEdit];
      const edited = log.entries.slice();
      edited[k] = edit(edited[k] as AuditEntry);
      const variants: [string, AuditEntry[]][] = [
        [`resealed edit of ${name}`, reseal(edited, k)],
        ['resealed deletion', reseal(log.entries.filter((_, i) => i !== k), k)],
        ['resealed insertion', reseal([...log.entries.slice(0, k), forgedAfter(log.entries, k), ...log.entries.slice(k)], k)],
      ];
      if (k < SIZE - 1) {
        const swapped = log.entries.slice();
        swapped[k] = log.entries[k + 1] as AuditEntry;
        swapped[k + 1] = log.entries[k] as AuditEntry;
        variants.push(['resealed swap', reseal(swapped, k)]);
      }
      for (const [what, entries] of variants) {
        const verdict = verifyTail(base, entries.slice(k));
        // A swapped or forged row may also trip the entry time check; either way it is caught.
        if (verdict.ok) throw new Error(`${what} at ${k}: not detected`);
        expect(verdict.problems.some((p) => p.where === 'checkpoint' || (p.where === 'entry' && p.seq >= k))).toBe(true);
      }
    }
  });

  it('cutting entries off the end is caught by the last checkpoint, and by the head without one', () => {
    expectCheckpointProblem(verify(log.entries.slice(0, SIZE - 3)), 'tail cut');
    const uncovered = verify(log.entries.slice(0, 950), log.checkpoints.slice(0, 9), {
      head: { size: SIZE, lastLeafHash: (log.entries[SIZE - 1] as AuditEntry).leafHash, lastTime: null },
    });
    expect(uncovered.ok).toBe(false);
    expect(describeProblem(uncovered.problems[0] as never)).toMatch(/^audit log: the head records 1000 entries but the store has 950/);
  });
});

describe('tampering with checkpoints: every one of the 10', () => {
  const attacker = softwareSigner();
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });

  async function resignedBy(cp: CheckpointRow, rootHash: Buffer): Promise<CheckpointRow> {
    const parsed = parseNoteBody(cp.body);
    if (parsed === undefined) throw new Error('bad fixture');
    const body = formatNoteBody({ ...parsed, rootHash });
    return { ...cp, body, rootHash, signature: await attacker.sign(Buffer.from(body)), publicKey: attacker.publicKey, keyId: attacker.keyId };
  }

  it('edits of any stored or signed field, a foreign key, a re-signature, a wrong or missing token are detected', async () => {
    for (let j = 0; j < log.checkpoints.length; j++) {
      const cp = log.checkpoints[j] as CheckpointRow;
      const other = log.checkpoints[(j + 1) % log.checkpoints.length] as CheckpointRow;
      const cases: [string, CheckpointRow][] = [
        ['root hash', { ...cp, rootHash: flip(cp.rootHash) }],
        ['tree size', { ...cp, treeSize: cp.treeSize - 1 }],
        ['previous size', { ...cp, previousSize: cp.previousSize + 1 }],
        ['time', { ...cp, time: new Date(cp.time.getTime() - 1) }],
        ['body', { ...cp, body: cp.body.replace('time ', 'time  ') }],
        ['body time', { ...cp, body: cp.body.replace(/\.(\d)(\d\d)Z/, (_m, a: string, b: string) => `.${(Number(a) + 1) % 10}${b}Z`) }],
        ['signature', { ...cp, signature: flip(cp.signature, 40) }],
        ['key id', { ...cp, keyId: flip(cp.keyId) }],
        ['public key of another key', { ...cp, publicKey: otherKey, keyId: keyIdOf(otherKey) }],
        ['time-stamp of another checkpoint', { ...cp, timeStampToken: other.timeStampToken }],
        ['truncated time-stamp', { ...cp, timeStampToken: (cp.timeStampToken as Buffer).subarray(0, 100) }],
        ['removed time-stamp', { ...cp, timeStampToken: null }],
        ['re-signed by another key over a forged root', await resignedBy(cp, flip(cp.rootHash))],
      ];
      for (const [what, changed] of cases) {
        const checkpoints = log.checkpoints.slice();
        checkpoints[j] = changed;
        expectCheckpointProblem(verify(log.entries, checkpoints), `${what} of checkpoint ${cp.treeSize}`);
      }
    }
  });

  it('deleting, duplicating, swapping or inserting a checkpoint is detected', async () => {
    for (let j = 0; j < log.checkpoints.length; j++) {
      const cp = log.checkpoints[j] as CheckpointRow;
      const without = log.checkpoints.filter((_, i) => i !== j);
      if (j < log.checkpoints.length - 1) expectCheckpointProblem(verify(log.entries, without), `deletion of checkpoint ${cp.treeSize}`);
      const duplicated = [...log.checkpoints.slice(0, j + 1), cp, ...log.checkpoints.slice(j + 1)];
      expectCheckpointProblem(verify(log.entries, duplicated), `duplicate of checkpoint ${cp.treeSize}`);
      if (j < log.checkpoints.length - 1) {
        const swapped = log.checkpoints.slice();
        swapped[j] = log.checkpoints[j + 1] as CheckpointRow;
        swapped[j + 1] = cp;
        expectCheckpointProblem(verify(log.entries, swapped), `swap of checkpoints ${cp.treeSize} and the next`);
      }
      const forged = await resignedBy({ ...cp, treeSize: cp.treeSize - 50, previousSize: cp.previousSize }, flip(cp.rootHash));
      const inserted = [...log.checkpoints.slice(0, j), forged, ...log.checkpoints.slice(j)];
      expectCheckpointProblem(verify(log.entries, inserted), `insertion before checkpoint ${cp.treeSize}`);
    }
  });

  it('deleting the latest checkpoint is caught by a witness that holds it', () => {
    const latest = log.checkpoints[log.checkpoints.length - 1] as CheckpointRow;
    const note = `${latest.body}\n\u2014 example.test/audit ${Buffer.concat([latest.keyId.subarray(0, 4), latest.signature]).toString('base64')}\n`;
    const witnessed = [{ witness: 'file:/w.jsonl', treeSize: latest.treeSize, note }];
    expect(verify(log.entries, log.checkpoints, { witnessed }).ok).toBe(true);
    const verdict = verify(log.entries, log.checkpoints.slice(0, -1), { witnessed });
    expect(verdict.problems.map(describeProblem)).toContain('audit witness file:/w.jsonl: it holds checkpoint 1000, which the store no longer has');
  });

  it('without a trusted key a re-signed log still fails the chain checks, and the verdict warns that keys were not anchored', async () => {
    const verdict = verifyAuditRows(log.entries, log.checkpoints, { requireTimeStamps: true });
    expect(verdict.ok).toBe(true);
    expect(verdict.warnings.join(' ')).toMatch(/give the audit public key/);
  });

  it('a checkpoint without a time-stamp is reported, and is a problem only when time-stamps are required', () => {
    const checkpoints = log.checkpoints.map((c, i) => (i === 2 ? { ...c, timeStampToken: null } : c));
    const relaxed = verify(log.entries, checkpoints, { requireTimeStamps: false });
    expect(relaxed.ok).toBe(true);
    expect(relaxed.unstamped).toEqual([300]);
    expect(relaxed.warnings.join(' ')).toMatch(/1 checkpoint\(s\) have no time-stamp token: 300/);
    const strict = verify(log.entries, checkpoints);
    expect(strict.problems.map(describeProblem)).toEqual(['audit checkpoint 300: it has no time-stamp token, and time-stamps are required']);
  });
});
