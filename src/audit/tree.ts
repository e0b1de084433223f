import { auditPath, consistencyPath, EMPTY_ROOT, HASH_LENGTH, MerkleError, nodeHash, splitPoint, type Hash } from './merkle';

/**
 * Hashes of one level of the tree in one growing buffer: a million Buffer objects would cost more in headers than
 * in hashes, and a contiguous buffer makes appending a leaf cheap.
 */
class HashColumn {
  private buffer = Buffer.alloc(HASH_LENGTH * 64);
  length = 0;

  push(hash: Uint8Array): void {
    if ((this.length + 1) * HASH_LENGTH > this.buffer.length) {
      const grown = Buffer.alloc(this.buffer.length * 2);
      this.buffer.copy(grown, 0, 0, this.length * HASH_LENGTH);
      this.buffer = grown;
    }
    this.buffer.set(hash, this.length * HASH_LENGTH);
    this.length += 1;
  }

  /** A view, valid until the next push (which may move the buffer). */
  view(index: number): Buffer {
    return this.buffer.subarray(index * HASH_LENGTH, (index + 1) * HASH_LENGTH);
  }

  /** A copy the caller may keep. */
  copy(index: number): Hash {
    return Buffer.from(this.view(index));
  }

  clone(): HashColumn {
    const other = new HashColumn();
    other.buffer = Buffer.from(this.buffer.subarray(0, Math.max(this.length, 64) * HASH_LENGTH));
    other.length = this.length;
    return other;
  }
}

/**
 * An RFC 6962 tree that grows one leaf at a time and keeps the hash of every complete (power-of-two, aligned)
 * subtree. Appending costs O(log n) hashes; a root or a proof for any earlier size costs O(log² n), because every
 * subtree the RFC's recursion asks for is either cached or split into cached ones. The proofs come from the same
 * algorithms as merkle.ts, so they match the CT vectors there.
 */
export class MerkleTree {
  /** levels[k][i]: root of the 2^k leaves starting at i·2^k. levels[0] holds the leaf hashes. */
  private levels: HashColumn[] = [new HashColumn()];

  /** An independent copy (what LogVerifier.fork needs). */
  clone(): MerkleTree {
    const other = new MerkleTree();
    other.levels = this.levels.map((level) => level.clone());
    return other;
  }

  static fromLeaves(leaves: Iterable<Uint8Array>): MerkleTree {
    const tree = new MerkleTree();
    for (const leaf of leaves) tree.append(leaf);
    return tree;
  }

  get size(): number {
    return (this.levels[0] as HashColumn).length;
  }

  append(leaf: Uint8Array): void {
    if (!(leaf instanceof Uint8Array) || leaf.length !== HASH_LENGTH) throw new MerkleError(`leaf hashes must be ${HASH_LENGTH} bytes`);
    (this.levels[0] as HashColumn).push(leaf);
    // Each odd index closes a pair: its parent is complete now and is cached one level up.
    let level = 0;
    let index = this.size - 1;
    while (index % 2 === 1) {
      const column = this.levels[level] as HashColumn;
      const parent = nodeHash(column.view(index - 1), column.view(index));
      level += 1;
      let up = this.levels[level];
      if (up === undefined) {
        up = new HashColumn();
        this.levels.push(up);
      }
      up.push(parent);
      index = (index - 1) / 2;
    }
  }

  /** The leaf hash at `index`. */
  leaf(index: number): Hash {
    this.checkSize(index + 1, 'leaf index');
    return (this.levels[0] as HashColumn).copy(index);
  }

  /** MTH of the first `size` leaves. */
  root(size = this.size): Hash {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) throw new MerkleError(`tree size ${size} out of range 0..${this.size}`);
    return this.subtreeRoot(0, size);
  }

  /** Audit path of leaf `index` in the tree of the first `size` leaves (RFC 6962 §2.1.1). */
  inclusionProof(index: number, size = this.size): Hash[] {
    this.checkSize(size, 'tree size');
    if (size < 1) throw new MerkleError('an empty tree has no leaves to prove');
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new MerkleError(`leaf index ${index} outside a tree of ${size}`);
    return auditPath(index, size, (start, end) => this.subtreeRoot(start, end));
  }

  /** Consistency proof from the tree of `first` leaves to the tree of `second` (RFC 6962 §2.1.2). */
  consistencyProof(first: number, second = this.size): Hash[] {
    this.checkSize(second, 'tree size');
    if (!Number.isSafeInteger(first) || first < 0 || first > second) throw new MerkleError(`tree size ${first} is not within 0..${second}`);
    if (first === 0 || first === second) return [];
    return consistencyPath(first, second, (start, end) => this.subtreeRoot(start, end));
  }

  private checkSize(size: number, what: string): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) throw new MerkleError(`${what} ${size} out of range for a tree of ${this.size}`);
  }

  /**
   * Root of leaves [start, end), end ≤ size. The RFC's recursion only ever asks for ranges whose start is aligned
   * to the largest power of two not above their length, so a power-of-two range is always one cached node.
   */
  private subtreeRoot(start: number, end: number): Hash {
    const n = end - start;
    if (n === 0) return EMPTY_ROOT;
    const level = Math.log2(n);
    if (Number.isInteger(level) && start % n === 0) {
      return (this.levels[level] as HashColumn).copy(start / n);
    }
    const k = splitPoint(n);
    return nodeHash(this.subtreeRoot(start, start + k), this.subtreeRoot(start + k, end));
  }
}
