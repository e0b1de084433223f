import { constants, createPublicKey, verify } from 'node:crypto';
import * as pkcs11 from 'pkcs11js';
import { ecdsaDerToRaw, type SignatureAlgorithmName } from '../../src/hsm';
import { InlinePolicy } from '../../src/hsm/inline-policy';
import { generateKeyPair } from '../../src/hsm/keys';
import { publicKeySpki } from '../../src/hsm/public-key';
import { Pkcs11Module } from '../../src/hsm/module';
import type { OperationContext } from '../../src/hsm/operation';
import { SessionPool } from '../../src/hsm/session-pool';
import { prepareSignatures, requirePrepared, signWithPool, verifyWithPool } from '../../src/hsm/sign';
import { throwAwayToken } from './support';

/**
 * Tokens without the combined mechanisms (SoftHSM2 lacks CKM_ECDSA_SHA*; some HSMs lack CKM_SHA*_RSA_PKCS*)
 * get the raw ones with hashing (and for PKCS#1 v1.5 the DigestInfo) done in software. SoftHSM2 has the raw
 * RSA mechanisms too, so here the table is prepared as if it had only those, and the result is checked by
 * node:crypto.
 */
describe('raw mechanisms with hashing in software', () => {
  let module: Pkcs11Module;
  let pool: SessionPool;
  let ctx: OperationContext;

  beforeAll(() => {
    const token = throwAwayToken('fallback');
    module = Pkcs11Module.load(token.env.modulePath);
    pool = SessionPool.open(module.p11, module.findToken(token.label).slot, token.userPin, 2);
    ctx = { p11: module.p11, pool, inline: new InlinePolicy(100) };
  });

  afterAll(async () => {
    await pool?.close();
    module?.release();
  });

  const rawOnly = prepareSignatures(new Set([pkcs11.CKM_RSA_PKCS, pkcs11.CKM_RSA_PKCS_PSS, pkcs11.CKM_ECDSA]));

  it('picks the raw mechanism for every algorithm when only those are offered, and nothing when neither is', () => {
    expect(Object.fromEntries(Object.entries(rawOnly).map(([name, p]) => [name, p.mechanismName]))).toEqual({
      RS256: 'CKM_RSA_PKCS',
      RS384: 'CKM_RSA_PKCS',
      RS512: 'CKM_RSA_PKCS',
      PS256: 'CKM_RSA_PKCS_PSS',
      PS384: 'CKM_RSA_PKCS_PSS',
      PS512: 'CKM_RSA_PKCS_PSS',
      ES256: 'CKM_ECDSA',
      ES384: 'CKM_ECDSA',
      ES512: 'CKM_ECDSA',
    });
    expect(() => requirePrepared(prepareSignatures(new Set([pkcs11.CKM_ECDSA])), 'RS256')).toThrow(
      'the token offers neither CKM_SHA256_RSA_PKCS nor CKM_RSA_PKCS, so it cannot do RS256',
    );
  });

  it.each([
    ['RS256', 'sha256', undefined],
    ['RS512', 'sha512', undefined],
    ['PS256', 'sha256', 32],
    ['PS384', 'sha384', 48],
  ] as const)('%s over CKM_RSA_PKCS / CKM_RSA_PKCS_PSS verifies with node:crypto', async (algorithm: SignatureAlgorithmName, hash, saltLength) => {
    const session = await pool.acquire();
    const keys = await generateKeyPair(module.p11, session, { type: 'RSA', modulusBits: 2048 }, { label: `raw-${algorithm}`, token: false }).finally(() => pool.release(session));
    const spki = await pool.use((s) => publicKeySpki(module.p11, s, keys.publicKey));
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const data = Buffer.from(`fallback ${algorithm}`);
    const signature = await signWithPool(ctx, requirePrepared(rawOnly, algorithm), keys.privateKey, data, 'der');
    const options = saltLength === undefined ? key : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
    expect(verify(hash, data, options, signature)).toBe(true);
    await expect(verifyWithPool(ctx, requirePrepared(rawOnly, algorithm), keys.publicKey, data, signature, 'der')).resolves.toBe(true);
  });

  it('ES384 over CKM_ECDSA on P-384, as DER and as r‖s', async () => {
    const session = await pool.acquire();
    const keys = await generateKeyPair(module.p11, session, { type: 'EC', curve: 'P-384' }, { label: 'raw-es384', token: false }).finally(() => pool.release(session));
    const key = createPublicKey({ key: await pool.use((s) => publicKeySpki(module.p11, s, keys.publicKey)), format: 'der', type: 'spki' });
    const data = Buffer.from('fallback ES384');
    const der = await signWithPool(ctx, requirePrepared(rawOnly, 'ES384'), keys.privateKey, data, 'der');
    expect(verify('sha384', data, key, der)).toBe(true);
    const raw = await signWithPool(ctx, requirePrepared(rawOnly, 'ES384'), keys.privateKey, data, 'raw');
    expect(raw).toHaveLength(96);
    expect(verify('sha384', data, { key, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
    expect(ecdsaDerToRaw(der, 48)).toHaveLength(96);
  });
});
