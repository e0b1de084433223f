import { consistencyProof, inclusionProof, leafHash, MerkleError, rootHash, verifyConsistency, verifyInclusion } from '../../src/audit/merkle';
import { MerkleTree } from '../../src/audit/tree';

const leaves = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
const hex = (b: Buffer): string => b.toString('hex');

describe('incremental Merkle tree (cached complete subtrees)', () => {
  const tree = MerkleTree.fromLeaves(leaves);

  it('gives the same root as the plain RFC 6962 definition for every size', () => {
    for (let size = 0; size <= leaves.length; size++) expect(hex(tree.root(size))).toBe(hex(rootHash(leaves.slice(0, size))));
  });

  it('gives the same inclusion and consistency proofs as merkle.ts for every pair of sizes up to 70', () => {
    for (let size = 1; size <= leaves.length; size++) {
      for (let index = 0; index < size; index++) {
        expect(tree.inclusionProof(index, size).map(hex)).toEqual(inclusionProof(leaves, index, size).map(hex));
      }
      for (let first = 0; first <= size; first++) {
        const proof = tree.consistencyProof(first, size);
        expect(proof.map(hex)).toEqual(consistencyProof(leaves, first, size).map(hex));
        if (first > 0) expect(verifyConsistency(first, size, tree.root(first), tree.root(size), proof)).toBe(true);
      }
    }
  });

  it('answers while it grows: proofs for old sizes do not change when leaves are added', () => {
    const growing = new MerkleTree();
    const snapshots: string[][] = [];
    for (const [i, leaf] of leaves.entries()) {
      growing.append(leaf);
      if (i === 12) snapshots.push(growing.inclusionProof(5, 13).map(hex));
    }
    expect(growing.inclusionProof(5, 13).map(hex)).toEqual(snapshots[0]);
    expect(hex(growing.leaf(69))).toBe(hex(leaves[69] as Buffer));
  });

  it('stays fast for a large log: 200,000 leaves, then proofs in O(log² n)', () => {
    const big = new MerkleTree();
    const started = performance.now();
    for (let i = 0; i < 200_000; i++) big.append(leafHash(Buffer.from(String(i))));
    const root = big.root();
    for (const index of [0, 1, 99_999, 131_071, 131_072, 199_999]) {
      expect(verifyInclusion(big.leaf(index), index, 200_000, big.inclusionProof(index), root)).toBe(true);
    }
    expect(verifyConsistency(150_001, 200_000, big.root(150_001), root, big.consistencyProof(150_001))).toBe(true);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('refuses out-of-range sizes and indexes with MerkleError', () => {
    expect(() => tree.root(71)).toThrow(MerkleError);
    expect(() => tree.inclusionProof(70, 70)).toThrow(MerkleError);
    expect(() => tree.inclusionProof(0, 0)).toThrow(MerkleError);
    expect(() => tree.inclusionProof(-1, 5)).toThrow(MerkleError);
    expect(() => tree.consistencyProof(6, 5)).toThrow(MerkleError);
    expect(() => tree.consistencyProof(1, 71)).toThrow(MerkleError);
    expect(() => tree.leaf(70)).toThrow(MerkleError);
    expect(() => new MerkleTree().append(Buffer.alloc(31))).toThrow(MerkleError);
  });
});
