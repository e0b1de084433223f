import { createCipheriv, createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { CardTokenDirectory, type CardToken } from '../../src/hsm';
import { SOFTHSM_MODULE_PATH } from '../../hsm-sim/softhsm';
import { makeThrowAwayToken } from '../support/softhsm';

/**
 * Card-shaped tokens (a simulated SIM is two of them): made in SoftHSM2's free slot, opened without a login,
 * the PIN presented per use and checked by the token, reset by the security officer (the PUK); AES-CBC and
 * AES-CMAC with imported keys checked against node:crypto and `openssl mac`; signatures against node:crypto.
 */

jest.setTimeout(30_000);

describe('CardTokenDirectory and CardToken', () => {
  let tokens: CardTokenDirectory;
  let card: CardToken;

  beforeAll(() => {
    makeThrowAwayToken('other', '1234');
    tokens = CardTokenDirectory.open(SOFTHSM_MODULE_PATH);
    tokens.initializeToken({ label: 'sim-1-sign', soPin: '87654321', userPin: '54321' });
    tokens.initializeToken({ label: 'sim-2-sign', soPin: '87654321', userPin: '11111' });
    card = tokens.openToken('sim-1-sign');
  });

  afterAll(async () => {
    await tokens?.close();
  });

  test('new tokens are found by label, twice-made labels are refused, a token opens once per process', () => {
    expect(tokens.labels()).toEqual(expect.arrayContaining(['other', 'sim-1-sign', 'sim-2-sign']));
    expect(() => tokens.initializeToken({ label: 'sim-1-sign', soPin: '87654321', userPin: '54321' })).toThrow(/exists/);
    expect(() => tokens.openToken('sim-1-sign')).toThrow(/already open|in use/i);
    expect(() => tokens.openToken('nope')).toThrow();
  });

  test('the token checks the PIN: a wrong one is PinIncorrectError, the right one logs in', async () => {
    await expect(card.login('00000')).rejects.toMatchObject({ code: 'ERR_HSM_PIN_INCORRECT' });
    expect(card.isLoggedIn).toBe(false);
    await card.login('54321');
    expect(card.isLoggedIn).toBe(true);
  });

  test('keys made inside sign messages and digests (P-256, RSA-2048); node:crypto verifies', async () => {
    await card.login('54321');
    const ec = await card.generateKeyPair({ type: 'EC', curve: 'P-256' }, { label: 'sign' });
    const rsa = await card.generateKeyPair({ type: 'RSA', modulusBits: 2048 }, { label: 'rsa' });
    const message = Buffer.from('to be signed');
    const digest = createHash('sha256').update(message).digest();
    for (const [pair, alg] of [[ec, 'ES256'], [rsa, 'RS256'], [rsa, 'PS256']] as const) {
      const spki = createPublicKey({ key: await card.publicKeySpki(pair.publicKey), format: 'der', type: 'spki' });
      const padding = alg === 'PS256' ? { padding: 6, saltLength: 32 } : {};
      expect(verify('sha256', message, { key: spki, ...padding }, await card.sign(alg, pair.privateKey, message))).toBe(true);
      expect(verify('sha256', message, { key: spki, ...padding }, await card.signDigest(alg, pair.privateKey, digest))).toBe(true);
    }
    await expect(card.signDigest('ES256', ec.privateKey, Buffer.alloc(20))).rejects.toThrow(/32-octet/);
  });

  test('after logout the private key cannot sign; the security officer sets a new PIN', async () => {
    const key = await card.findKey({ class: 'privateKey', label: 'sign' });
    await card.logout();
    await expect(card.sign('ES256', key, Buffer.from('x'))).rejects.toThrow();
    await expect(card.resetUserPin('11111111', '99999')).rejects.toMatchObject({ code: 'ERR_HSM_PIN_INCORRECT' });
    await card.resetUserPin('87654321', '99999');
    await expect(card.login('54321')).rejects.toMatchObject({ code: 'ERR_HSM_PIN_INCORRECT' });
    await card.login('99999');
    // SoftHSM2 fact: C_Logout invalidates private object handles; a card looks its keys up again after a login.
    await expect(card.sign('ES256', key, Buffer.from('x'))).rejects.toMatchObject({ ckr: 'CKR_OBJECT_HANDLE_INVALID' });
    const again = await card.findKey({ class: 'privateKey', label: 'sign' });
    expect((await card.sign('ES256', again, Buffer.from('x'))).length).toBeGreaterThan(60);
    await card.logout();
  });

  test('imported non-private AES keys work without a login: CBC as node:crypto, CMAC as openssl mac', async () => {
    const other = tokens.openToken('sim-2-sign');
    try {
      const kic = randomBytes(16);
      const kid = randomBytes(16);
      const cipherKey = await other.importAesKey(kic, { label: 'KIc/1', usage: 'cipher', private: false });
      const macKey = await other.importAesKey(kid, { label: 'KID/1', usage: 'mac', private: false });
      expect(other.isLoggedIn).toBe(false);
      const iv = Buffer.alloc(16);
      const data = randomBytes(48);
      const node = createCipheriv('aes-128-cbc', kic, iv).setAutoPadding(false);
      const expected = Buffer.concat([node.update(data), node.final()]);
      const ciphertext = await other.aesCbc(cipherKey, 'encrypt', iv, data);
      expect(ciphertext).toEqual(expected);
      expect(await other.aesCbc(cipherKey, 'decrypt', iv, ciphertext)).toEqual(data);
      const message = randomBytes(37);
      const openssl = execFileSync('openssl', ['mac', '-cipher', 'AES-128-CBC', '-macopt', `hexkey:${kid.toString('hex')}`, '-in', '-', 'CMAC'], { input: message, encoding: 'utf8' }).trim().toLowerCase();
      expect((await other.aesCmac(macKey, message)).toString('hex')).toBe(openssl);
      // A session copy made inside the token computes the same, and does not make the label ambiguous.
      const copy = await other.sessionCopy(macKey);
      expect(copy).toMatchObject({ token: false, label: 'KID/1#ram' });
      expect((await other.aesCmac(copy, message)).toString('hex')).toBe(openssl);
      expect((await other.findKey({ class: 'secretKey', label: 'KID/1' })).token).toBe(true);
      // One key, one job: the cipher key cannot make a MAC.
      await expect(other.aesCmac(cipherKey, message)).rejects.toThrow();
    } finally {
      await other.close();
    }
  });
});
