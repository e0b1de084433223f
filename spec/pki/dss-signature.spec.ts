import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CURVES } from '../../src/pki/crypto/algorithms';
import { encodeDssSignature, parseDssSignature, toP1363 } from '../../src/pki/crypto/dss-signature';
import { verifySignature } from '../../src/pki/crypto/verify-signature';
import { PkiParseError } from '../../src/pki/errors';
import { hex, len, unhex } from './support/der';

interface Vector {
  readonly id: string;
  readonly section: string;
  readonly note: string;
  readonly hex: string;
  readonly ok: boolean;
  readonly r?: string;
  readonly s?: string;
  readonly error?: string;
}

const vectors = (JSON.parse(readFileSync(resolve(__dirname, '../../fixtures/pki/dss-signature-vectors.json'), 'utf8')) as { vectors: Vector[] }).vectors;

describe('parseDssSignature: exact DER only', () => {
  test.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, v) => {
    const bytes = unhex(v.hex);
    if (v.ok) {
      const sig = parseDssSignature(bytes);
      expect(sig.r).toBe(BigInt(`0x${v.r}`));
      expect(sig.s).toBe(BigInt(`0x${v.s}`));
      // Exactly one encoding: re-encoding what we accepted gives back the same bytes.
      expect(hex(encodeDssSignature(sig))).toBe(v.hex);
    } else {
      let thrown: unknown;
      try {
        parseDssSignature(bytes);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(PkiParseError);
      expect((thrown as PkiParseError).message).toContain(v.error);
    }
  });
});

describe('toP1363', () => {
  test('pads r and s to the group order width', () => {
    expect(hex(toP1363({ r: 1n, s: 0x8000n }, 4) as Uint8Array)).toBe('0000000100008000');
  });
  test('refuses values wider than the order', () => {
    expect(toP1363({ r: 1n << 32n, s: 1n }, 4)).toBeUndefined();
  });
});

/** Re-encodes a DER ECDSA signature with a non-minimal (but BER-valid) outer length: same r and s. */
function withLongFormOuterLength(der: Uint8Array): Uint8Array {
  const { r, s } = parseDssSignature(der);
  const body = encodeDssSignature({ r, s }).subarray(2);
  return Uint8Array.from([0x30, 0x81, body.length, ...body]);
}

/** Minimal two's-complement content octets of a positive integer. */
function intContent(n: bigint): number[] {
  let h = n.toString(16);
  if (h.length % 2) h = `0${h}`;
  const bytes = Array.from(unhex(h));
  if ((bytes[0] as number) & 0x80) bytes.unshift(0);
  return bytes;
}

/** Pads r with a redundant leading zero octet (BER allows it, DER does not). */
function withPaddedR(der: Uint8Array): Uint8Array {
  const { r, s } = parseDssSignature(der);
  const rc = [0, ...intContent(r)];
  const sc = intContent(s);
  const body = [0x02, ...len(rc.length), ...rc, 0x02, ...len(sc.length), ...sc];
  return Uint8Array.from([0x30, ...len(body.length), ...body]);
}

describe('verifySignature with ECDSA', () => {
  const data = Buffer.from('data to be signed');

  test.each([
    ['P-256', 'prime256v1', 'sha256', '1.2.840.10045.4.3.2'],
    ['P-384', 'secp384r1', 'sha384', '1.2.840.10045.4.3.3'],
    ['P-521', 'secp521r1', 'sha512', '1.2.840.10045.4.3.4'],
  ])('%s: a DER signature verifies; the same (r, s) in BER does not', (_label, namedCurve, hash, algorithm) => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const der = nodeSign(hash, data, { key: privateKey, dsaEncoding: 'der' });
    expect(verifySignature({ algorithm, publicKey: spki, data, signature: der })).toEqual({ ok: true });

    const longForm = verifySignature({ algorithm, publicKey: spki, data, signature: withLongFormOuterLength(der) });
    expect(longForm).toMatchObject({ ok: false, failure: 'malformed-signature' });
    const padded = verifySignature({ algorithm, publicKey: spki, data, signature: withPaddedR(der) });
    expect(padded).toMatchObject({ ok: false, failure: 'malformed-signature' });
    const trailing = verifySignature({ algorithm, publicKey: spki, data, signature: Uint8Array.from([...der, 0]) });
    expect(trailing).toMatchObject({ ok: false, failure: 'malformed-signature' });
    expect(verifySignature({ algorithm, publicKey: spki, data: Buffer.from('other data'), signature: der })).toMatchObject({
      ok: false,
      failure: 'invalid-signature',
    });
  });

  test('r + n (the same residue, out of range) is refused by our range check', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const der = nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
    const { r, s } = parseDssSignature(der);
    const n = (CURVES['1.2.840.10045.3.1.7'] as { order: bigint }).order;
    const shifted = encodeDssSignature({ r: r + n, s });
    expect(verifySignature({ algorithm: '1.2.840.10045.4.3.2', publicKey: spki, data, signature: shifted })).toMatchObject({
      ok: false,
      failure: 'invalid-signature',
    });
  });

  test('algorithm parameters must be absent for ECDSA (RFC 5758 §3.2)', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const der = nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
    const withNull = { oid: '1.2.840.10045.4.3.2', parameters: Uint8Array.from([5, 0]), der: new Uint8Array(0) };
    expect(verifySignature({ algorithm: withNull, publicKey: spki, data, signature: der })).toMatchObject({ ok: false, failure: 'unsupported-algorithm' });
  });

  test('an ECDSA signature against an RSA key is a key mismatch, not a crash', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    expect(verifySignature({ algorithm: '1.2.840.10045.4.3.2', publicKey: spki, data, signature: unhex('3006020101020101') })).toMatchObject({
      ok: false,
      failure: 'key-mismatch',
    });
  });

  test('garbage keys come back as invalid-key', () => {
    expect(verifySignature({ algorithm: '1.2.840.10045.4.3.2', publicKey: unhex('3000'), data, signature: unhex('3006020101020101') })).toMatchObject({
      ok: false,
      failure: 'invalid-key',
    });
  });
});

describe('verifySignature with the other algorithms of the table', () => {
  const data = Buffer.from('tbs');

  test('RSA PKCS#1 v1.5: verifies, and a signature one octet short is malformed', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const sig = nodeSign('sha256', data, privateKey);
    expect(verifySignature({ algorithm: '1.2.840.113549.1.1.11', publicKey: spki, data, signature: sig })).toEqual({ ok: true });
    expect(verifySignature({ algorithm: '1.2.840.113549.1.1.11', publicKey: spki, data, signature: sig.subarray(1) })).toMatchObject({
      ok: false,
      failure: 'malformed-signature',
    });
    expect(verifySignature({ algorithm: '1.2.840.113549.1.1.12', publicKey: spki, data, signature: sig })).toMatchObject({
      ok: false,
      failure: 'invalid-signature',
    });
  });

  test('RSASSA-PSS with SHA-256, MGF1-SHA-256, salt 32 (RFC 4055 parameters)', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { constants } = await import('node:crypto');
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const sig = nodeSign('sha256', data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    const sha256 = [0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00];
    const mgf1 = [0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, ...sha256];
    const params = (salt: number): Uint8Array => {
      const body = [0xa0, sha256.length, ...sha256, 0xa1, mgf1.length, ...mgf1, 0xa2, 0x03, 0x02, 0x01, salt];
      return Uint8Array.from([0x30, body.length, ...body]);
    };
    const alg = (salt: number) => ({ oid: '1.2.840.113549.1.1.10', parameters: params(salt), der: new Uint8Array(0) });
    expect(verifySignature({ algorithm: alg(32), publicKey: spki, data, signature: sig })).toEqual({ ok: true });
    expect(verifySignature({ algorithm: alg(20), publicKey: spki, data, signature: sig })).toMatchObject({ ok: false });
  });

  test('Ed25519', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const sig = nodeSign(null, data, privateKey);
    expect(verifySignature({ algorithm: '1.3.101.112', publicKey: spki, data, signature: sig })).toEqual({ ok: true });
    expect(verifySignature({ algorithm: '1.3.101.112', publicKey: spki, data: Buffer.from('x'), signature: sig })).toMatchObject({ ok: false });
  });

  test('DSA with SHA-256: the strict DER parser sits in front of it too', () => {
    const { publicKey, privateKey } = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const der = nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
    expect(verifySignature({ algorithm: '2.16.840.1.101.3.4.3.2', publicKey: spki, data, signature: der })).toEqual({ ok: true });
    expect(verifySignature({ algorithm: '2.16.840.1.101.3.4.3.2', publicKey: spki, data, signature: withLongFormOuterLength(der) })).toMatchObject({
      ok: false,
      failure: 'malformed-signature',
    });
  });

  test('unknown algorithms are refused by name', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    // md5WithRSAEncryption is deliberately absent from the table.
    expect(verifySignature({ algorithm: '1.2.840.113549.1.1.4', publicKey: spki, data, signature: new Uint8Array(64) })).toMatchObject({
      ok: false,
      failure: 'unsupported-algorithm',
    });
  });
});
