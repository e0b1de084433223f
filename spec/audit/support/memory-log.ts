import { generateKeyPairSync, sign } from 'node:crypto';
import {
  entryLeafHash,
  GENESIS_HASH,
  keyIdOf,
  MerkleTree,
  prepareEntry,
  sealCheckpoint,
  sealEntry,
  type AuditEntry,
  type CheckpointRow,
  type CheckpointSigner,
  type NewAuditEntry,
  type TimeStamper,
} from '../../../src/audit';

/** An ES256 signer on a software key: the same signatures the HSM makes, without a token. */
export function softwareSigner(): CheckpointSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return {
    algorithm: 'ES256',
    publicKey: spki,
    keyId: keyIdOf(spki),
    sign: async (data) => sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }),
  };
}

const ACTIONS: NewAuditEntry['action'][] = ['ap.request', 'transaction.state', 'pin.failure', 'certificate.issue', 'operator.command', 'config.change'];
const ACTORS: NewAuditEntry['actor']['type'][] = ['ap', 'citizen', 'operator', 'system'];

/** A varied entry: evidence on some, nested details on others, so every field gets exercised. */
export function sampleEntry(i: number): NewAuditEntry {
  return {
    actor: { type: ACTORS[i % ACTORS.length] as NewAuditEntry['actor']['type'], id: `actor-${i % 7}` },
    action: ACTIONS[i % ACTIONS.length] as NewAuditEntry['action'],
    subject: `transaction:${1000 + i}`,
    outcome: i % 5 === 0 ? 'failed' : 'ok',
    ...(i % 3 === 0 ? { evidenceHash: Buffer.alloc(32, i % 251) } : {}),
    details: { n: i, tries: i % 4, nested: { tag: `t${i % 11}`, list: [i, 'x'] } },
  };
}

export interface MemoryLog {
  readonly entries: AuditEntry[];
  readonly checkpoints: CheckpointRow[];
}

export interface BuildOptions {
  readonly size: number;
  /** A checkpoint after every this many entries, and one at the end. */
  readonly checkpointEvery: number;
  readonly signer: CheckpointSigner;
  readonly timeStamper?: TimeStamper;
  readonly origin?: string;
  /** Time of entry 0 (default: just long enough ago that the last entry is in the past); each entry is 1 ms later. */
  readonly start?: Date;
}

/** A log built by the same sealing code as AuditLog, without a store. */
export async function buildMemoryLog(options: BuildOptions): Promise<MemoryLog> {
  const entries: AuditEntry[] = [];
  const checkpoints: CheckpointRow[] = [];
  const tree = new MerkleTree();
  const start = options.start?.getTime() ?? Date.now() - options.size - 1_000;
  let head = { size: 0, lastLeafHash: GENESIS_HASH, lastTime: null as Date | null };
  for (let i = 0; i < options.size; i++) {
    const entry = sealEntry(prepareEntry(sampleEntry(i)), head, new Date(start + i));
    entries.push(entry);
    tree.append(entry.leafHash);
    head = { size: i + 1, lastLeafHash: entry.leafHash, lastTime: entry.time };
    if ((i + 1) % options.checkpointEvery === 0 || i + 1 === options.size) {
      const previous = checkpoints[checkpoints.length - 1];
      const { origin: _origin, ...row } = await sealCheckpoint(
        {
          origin: options.origin ?? 'example.test/audit',
          treeSize: i + 1,
          rootHash: tree.root(),
          ...(previous !== undefined ? { previous } : {}),
          lastEntryTime: entry.time,
          now: new Date(start + i + 1),
        },
        { signer: options.signer, ...(options.timeStamper !== undefined ? { timeStamper: options.timeStamper, requireTimeStamps: true } : {}) },
      );
      checkpoints.push(row);
    }
  }
  return { entries, checkpoints };
}

/** What an attacker with write access does to hide a change: recompute seq, prev and leaf hashes from `from` on. */
export function reseal(entries: readonly AuditEntry[], from = 0): AuditEntry[] {
  const out = entries.slice(0, from);
  let prev = from === 0 ? GENESIS_HASH : (out[from - 1] as AuditEntry).leafHash;
  for (let i = from; i < entries.length; i++) {
    const content = { ...(entries[i] as AuditEntry), seq: i, prevHash: prev };
    const leafHash = entryLeafHash(content);
    out.push({ ...content, leafHash });
    prev = leafHash;
  }
  return out;
}
