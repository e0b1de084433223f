import { constants, createHash, generateKeyPairSync, publicDecrypt, sign } from 'node:crypto';
import { openssl } from './support';
import { AES_GCM, CURVES, HASHES, KEY_TRANSPORT_ALGORITHMS, SIGNATURE_ALGORITHMS, type HashName } from '../../src/hsm';
import { KEY_OIDS } from '../../src/hsm/algorithms';

/** OpenSSL's name for an OID: an independent reading of every OID in the table. */
function opensslName(oid: string): string {
  const out = openssl(['asn1parse', '-genstr', `OID:${oid}`]).output;
  return /OBJECT\s*:(\S+)/.exec(out)?.[1] ?? `(unknown: ${out.trim()})`;
}

describe('the algorithm table', () => {
  it('uses the mechanism numbers of PKCS#11 v2.40 (as the native binding exports them)', () => {
    const expected: Record<string, [number, number]> = {
      RS256: [0x40, 0x01],
      RS384: [0x41, 0x01],
      RS512: [0x42, 0x01],
      PS256: [0x43, 0x0d],
      PS384: [0x44, 0x0d],
      PS512: [0x45, 0x0d],
      ES256: [0x1044, 0x1041],
      ES384: [0x1045, 0x1041],
      ES512: [0x1046, 0x1041],
    };
    for (const [name, entry] of Object.entries(SIGNATURE_ALGORITHMS)) expect([name, entry.combined.ckm, entry.raw.ckm]).toEqual([name, ...(expected[name] ?? [])]);
    expect(Object.values(HASHES).map((h) => [h.ckm, h.mgf])).toEqual([
      [0x220, 1],
      [0x250, 2],
      [0x260, 3],
      [0x270, 4],
    ]);
    expect(AES_GCM.ckm).toBe(0x1087);
    expect(KEY_TRANSPORT_ALGORITHMS['RSA-OAEP'].ckm).toBe(0x09);
  });

  it('names OIDs that OpenSSL knows as the intended algorithms', () => {
    const names = Object.fromEntries(Object.entries(SIGNATURE_ALGORITHMS).map(([name, e]) => [name, opensslName(e.signatureOid)]));
    expect(names).toEqual({
      RS256: 'sha256WithRSAEncryption',
      RS384: 'sha384WithRSAEncryption',
      RS512: 'sha512WithRSAEncryption',
      PS256: 'rsassaPss',
      PS384: 'rsassaPss',
      PS512: 'rsassaPss',
      ES256: 'ecdsa-with-SHA256',
      ES384: 'ecdsa-with-SHA384',
      ES512: 'ecdsa-with-SHA512',
    });
    expect(opensslName(KEY_OIDS.rsaEncryption)).toBe('rsaEncryption');
    expect(opensslName(KEY_OIDS.ecPublicKey)).toBe('id-ecPublicKey');
    expect(Object.values(CURVES).map((c) => opensslName(c.oid))).toEqual(Object.values(CURVES).map((c) => c.openssl));
    expect(Object.values(HASHES).map((h) => opensslName(h.oid))).toEqual(['sha1', 'sha256', 'sha384', 'sha512']);
    expect(Object.values(AES_GCM.oids).map(opensslName)).toEqual(['aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm']);
    expect(opensslName(KEY_TRANSPORT_ALGORITHMS['RSA-OAEP'].oid)).toBe('rsaesOaep');
  });

  it('holds the DER EC parameters that OpenSSL writes into an SPKI for each curve', () => {
    for (const curve of Object.values(CURVES)) {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve.openssl });
      expect(publicKey.export({ type: 'spki', format: 'der' }).toString('hex')).toContain(curve.ecParams);
    }
  });

  it.each(Object.keys(HASHES) as HashName[])('holds the DigestInfo prefix OpenSSL puts in a PKCS#1 v1.5 signature (%s)', (hash) => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const data = Buffer.from('digest info');
    const node = HASHES[hash].node;
    // Undoing the RSA operation of OpenSSL's signature gives back the DigestInfo it signed.
    const digestInfo = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, sign(node, data, privateKey));
    expect(digestInfo.toString('hex')).toBe(HASHES[hash].digestInfoPrefix + createHash(node).update(data).digest('hex'));
  });

  it('sets PSS salt to the hash length and minimum sizes of 2048-bit RSA and 256-bit curves', () => {
    for (const entry of Object.values(SIGNATURE_ALGORITHMS)) {
      const pss = (entry as { pss?: { saltLength: number } }).pss;
      if (pss !== undefined) expect(pss.saltLength).toBe(HASHES[entry.hash].bytes);
      expect(entry.minKeyBits).toBe(entry.keyType === 'RSA' ? 2048 : 256);
    }
  });
});
