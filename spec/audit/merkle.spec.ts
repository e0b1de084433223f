import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createHash } from 'node:crypto';
import {
  consistencyProof, EMPTY_ROOT, inclusionProof, leafHash, MerkleError, nodeHash, rootHash, splitPoint, verifyConsistency, verifyInclusion,
} from '../../src/audit/merkle';

interface Vectors {
  leaves: string[];
  roots: string[];
  inclusion: { index: number; size: number; proof: string[] }[];
  consistency: { first: number; second: number; proof: string[] }[];
}
const vectors = JSON.parse(readFileSync(resolve(__dirname, '../../fixtures/merkle/rfc6962-vectors.json'), 'utf8')) as Vectors;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Buffer => Buffer.from(s, 'hex');
const ctLeaves = vectors.leaves.map((l) => leafHash(unhex(l)));

describe('RFC 6962 Merkle tree: published vectors', () => {
  it('hashes leaves and nodes with the 0x00 / 0x01 prefixes', () => {
    expect(hex(leafHash(Buffer.alloc(0)))).toBe(createHash('sha256').update(Buffer.of(0)).digest('hex'));
    const [a, b] = ctLeaves as [Buffer, Buffer];
    expect(hex(nodeHash(a, b))).toBe(createHash('sha256').update(Buffer.concat([Buffer.of(1), a, b])).digest('hex'));
    expect(hex(EMPTY_ROOT)).toBe(vectors.roots[0]);
  });

  it.each(vectors.roots.map((root, size) => [size, root]))('root of the first %i leaves', (size, root) => {
    expect(hex(rootHash(ctLeaves.slice(0, size as number)))).toBe(root);
  });

  it.each(vectors.inclusion)('audit path of leaf $index in a tree of $size', ({ index, size, proof }) => {
    expect(inclusionProof(ctLeaves, index, size).map(hex)).toEqual(proof);
    expect(verifyInclusion(ctLeaves[index] as Buffer, index, size, proof.map(unhex), unhex(vectors.roots[size] as string))).toBe(true);
  });

  it.each(vectors.consistency)('consistency proof from $first to $second', ({ first, second, proof }) => {
    expect(consistencyProof(ctLeaves, first, second).map(hex)).toEqual(proof);
    expect(
      verifyConsistency(first, second, unhex(vectors.roots[first] as string), unhex(vectors.roots[second] as string), proof.map(unhex)),
    ).toBe(true);
  });

  it('splits at the largest power of two below n, not the midpoint', () => {
    expect([2, 3, 4, 5, 6, 7, 8, 9, 1000].map(splitPoint)).toEqual([1, 2, 2, 4, 4, 4, 4, 8, 512]);
  });
});

describe('RFC 6962 Merkle tree: every size up to 40', () => {
  const leaves = Array.from({ length: 40 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
  const roots = Array.from({ length: 41 }, (_, n) => rootHash(leaves.slice(0, n)));

  it('every inclusion proof verifies, and a wrong index, leaf, root or path does not', () => {
    for (let size = 1; size <= 40; size++) {
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(leaves, index, size);
        const root = roots[size] as Buffer;
        const leaf = leaves[index] as Buffer;
        expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);
        expect(verifyInclusion(leaf, index, size, proof, roots[size - 1] as Buffer)).toBe(false);
        if (size > 1) {
          expect(verifyInclusion(leaf, (index + 1) % size, size, proof, root)).toBe(false);
          expect(verifyInclusion(leaves[(index + 1) % size] as Buffer, index, size, proof, root)).toBe(false);
          const flipped = proof.map((p) => Buffer.from(p));
          const first = flipped[0] as Buffer;
          first[0] = (first[0] as number) ^ 1;
          expect(verifyInclusion(leaf, index, size, flipped, root)).toBe(false);
          expect(verifyInclusion(leaf, index, size, proof.slice(1), root)).toBe(false);
          expect(verifyInclusion(leaf, index, size, [...proof, root], root)).toBe(false);
        }
      }
    }
  });

  it('every consistency proof verifies, and a tampered one or a forked history does not', () => {
    const forked = leaves.map((l, i) => (i === 3 ? leafHash(Buffer.from('rewritten')) : l));
    for (let second = 1; second <= 40; second++) {
      for (let first = 1; first <= second; first++) {
        const proof = consistencyProof(leaves, first, second);
        const r1 = roots[first] as Buffer;
        const r2 = roots[second] as Buffer;
        expect(verifyConsistency(first, second, r1, r2, proof)).toBe(true);
        if (first < second) {
          const flipped = proof.map((p) => Buffer.from(p));
          const last = flipped[flipped.length - 1] as Buffer;
          last[5] = (last[5] as number) ^ 0x80;
          expect(verifyConsistency(first, second, r1, r2, flipped)).toBe(false);
          expect(verifyConsistency(first, second, r1, r2, proof.slice(0, -1))).toBe(false);
          if (first > 3) {
            // A log that rewrote entry 3 after publishing a head of `first` entries cannot prove consistency with it.
            const forkedRoot = rootHash(forked.slice(0, second));
            expect(verifyConsistency(first, second, r1, forkedRoot, consistencyProof(forked, first, second))).toBe(false);
          }
        }
      }
    }
  });

  it('refuses out-of-range requests with a typed error and malformed inputs with false', () => {
    expect(() => inclusionProof(leaves, 40, 40)).toThrow(MerkleError);
    expect(() => inclusionProof(leaves, 0, 41)).toThrow(MerkleError);
    expect(() => consistencyProof(leaves, 5, 3)).toThrow(MerkleError);
    expect(() => rootHash([Buffer.alloc(31)])).toThrow(MerkleError);
    const proof = inclusionProof(leaves, 5, 8);
    expect(verifyInclusion(Buffer.alloc(31), 5, 8, proof, roots[8] as Buffer)).toBe(false);
    expect(verifyInclusion(leaves[5] as Buffer, -1, 8, proof, roots[8] as Buffer)).toBe(false);
    expect(verifyConsistency(0, 8, EMPTY_ROOT, roots[8] as Buffer, [])).toBe(true);
    expect(verifyConsistency(8, 8, roots[8] as Buffer, roots[8] as Buffer, [])).toBe(true);
    expect(verifyConsistency(8, 6, roots[8] as Buffer, roots[6] as Buffer, [])).toBe(false);
  });
});
