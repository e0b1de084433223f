import { createHash, hash } from 'node:crypto';

/**
 * The Merkle tree of RFC 6962 §2.1 / RFC 9162 §2.1: leaf hash SHA-256(0x00 ‖ entry), node hash SHA-256(0x01 ‖ left ‖ right),
 * the split at the largest power of two smaller than n. Auditors check our log with any CT-compatible verifier,
 * so the hashing must be exactly theirs.
 */

export const HASH_LENGTH = 32;
export type Hash = Buffer;

export class MerkleError extends Error {
  override readonly name = 'MerkleError';
}

export const EMPTY_ROOT: Hash = createHash('sha256').digest();

export function leafHash(entry: Uint8Array): Hash {
  return createHash('sha256').update(Buffer.of(0x00)).update(entry).digest();
}

// One-shot hashing (crypto.hash) costs about 60% of createHash().update().digest() for inputs this small, and
// the verifier hashes about one node per entry.
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_LENGTH);
NODE_INPUT[0] = 0x01;

export function nodeHash(left: Uint8Array, right: Uint8Array): Hash {
  if (left.length !== HASH_LENGTH || right.length !== HASH_LENGTH) return createHash('sha256').update(Buffer.of(0x01)).update(left).update(right).digest();
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 1 + HASH_LENGTH);
  return hash('sha256', NODE_INPUT, 'buffer');
}

/** The largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkLeaves(leaves: readonly Uint8Array[]): void {
  for (const l of leaves) if (l.length !== HASH_LENGTH) throw new MerkleError(`leaf hashes must be ${HASH_LENGTH} bytes`);
}

/** MTH(D[n]) over leaf hashes. */
export function rootHash(leaves: readonly Uint8Array[]): Hash {
  checkLeaves(leaves);
  return subtreeRoot(leaves, 0, leaves.length);
}

function subtreeRoot(leaves: readonly Uint8Array[], start: number, end: number): Hash {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return Buffer.from(leaves[start] as Uint8Array);
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(leaves, start, start + k), subtreeRoot(leaves, start + k, end));
}

/**
 * The root of leaves [start, end): how a proof gets the hash of a subtree. The plain functions below recompute it
 * from the leaves; tree.ts answers from its cache of complete subtrees, so both share the proof algorithms.
 */
export type SubtreeRoot = (start: number, end: number) => Hash;

/** PATH(m, D[n]) of RFC 6962 §2.1.1 with subtree hashes from `sub`; `index` and `size` must already be checked. */
export function auditPath(index: number, size: number, sub: SubtreeRoot): Hash[] {
  const path: Hash[] = [];
  const walk = (m: number, start: number, end: number): void => {
    const n = end - start;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, start + k);
      path.push(sub(start + k, end));
    } else {
      walk(m - k, start + k, end);
      path.push(sub(start, start + k));
    }
  };
  walk(index, 0, size);
  return path;
}

/** PROOF(m, D[n]) of RFC 6962 §2.1.2 with subtree hashes from `sub`; 0 < first < second must already be checked. */
export function consistencyPath(first: number, second: number, sub: SubtreeRoot): Hash[] {
  const proof: Hash[] = [];
  const walk = (m: number, start: number, end: number, completeSubtree: boolean): void => {
    const n = end - start;
    if (m === n) {
      if (!completeSubtree) proof.push(sub(start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      walk(m, start, start + k, completeSubtree);
      proof.push(sub(start + k, end));
    } else {
      walk(m - k, start + k, end, false);
      proof.push(sub(start, start + k));
    }
  };
  walk(first, 0, second, true);
  return proof;
}

/** PATH(m, D[n]) of RFC 6962 §2.1.1: the audit path of leaf `index` in the tree of the first `size` leaves. */
export function inclusionProof(leaves: readonly Uint8Array[], index: number, size = leaves.length): Hash[] {
  checkLeaves(leaves);
  if (!Number.isInteger(size) || size < 1 || size > leaves.length) throw new MerkleError(`tree size ${size} out of range`);
  if (!Number.isInteger(index) || index < 0 || index >= size) throw new MerkleError(`leaf index ${index} outside a tree of ${size}`);
  return auditPath(index, size, (start, end) => subtreeRoot(leaves, start, end));
}

/** PROOF(m, D[n]) of RFC 6962 §2.1.2. */
export function consistencyProof(leaves: readonly Uint8Array[], first: number, second = leaves.length): Hash[] {
  checkLeaves(leaves);
  if (!Number.isInteger(second) || second < 0 || second > leaves.length) throw new MerkleError(`tree size ${second} out of range`);
  if (!Number.isInteger(first) || first < 0 || first > second) throw new MerkleError(`tree size ${first} is not within 0..${second}`);
  if (first === 0 || first === second) return [];
  return consistencyPath(first, second, (start, end) => subtreeRoot(leaves, start, end));
}

const isHash = (h: unknown): h is Uint8Array => h instanceof Uint8Array && h.length === HASH_LENGTH;

/** RFC 9162 §2.1.3.2: checks that `leaf` is entry `index` of the tree of `size` whose head is `root`. */
export function verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r: Hash = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: checks that the tree of `second` leaves with head `secondRoot` extends the one of `first` leaves. */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isHash(firstRoot) || !isHash(secondRoot) || !proof.every(isHash)) return false;
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false;
  if (first === second) return proof.length === 0 && Buffer.from(firstRoot).equals(secondRoot);
  if (first === 0) return proof.length === 0 && Buffer.from(firstRoot).equals(EMPTY_ROOT);
  if (proof.length === 0) return false;
  // When the first tree is a complete subtree its root is the start of the path, not a member of the proof.
  const path: Uint8Array[] = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Hash = Buffer.from(path[0] as Uint8Array);
  let sr: Hash = Buffer.from(path[0] as Uint8Array);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}
