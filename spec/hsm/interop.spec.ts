import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HsmKey, HsmKeyPair, SignatureAlgorithmName } from '../../src/hsm';
import { listToolObjects, openTestToken, opensslVerify, pkcs11Tool, type TestToken, type ToolObject } from './support';

/** What OpenSC's pkcs11-tool says about one object of ours. */
function toolView(objects: readonly ToolObject[], kind: string, label: string): ToolObject {
  const found = objects.filter((o) => o.kind === kind && o.label === label);
  expect(found).toHaveLength(1);
  return found[0] as ToolObject;
}

const MESSAGE = Buffer.from('interop: signed by src/hsm, verified by openssl');

describe('interoperability with independent tools (OpenSC pkcs11-tool, OpenSSL)', () => {
  let t: TestToken;
  const pairs = new Map<string, HsmKeyPair>();

  beforeAll(async () => {
    t = await openTestToken('interop');
    pairs.set('rsa2048', await t.hsm.generateKeyPair({ type: 'RSA', modulusBits: 2048 }, { label: 'our-rsa2048', id: '0102' }));
    pairs.set('rsa3072', await t.hsm.generateKeyPair({ type: 'RSA', modulusBits: 3072 }, { label: 'our-rsa3072', id: '0103' }));
    pairs.set('p256', await t.hsm.generateKeyPair({ type: 'EC', curve: 'P-256' }, { label: 'our-p256', id: '0104' }));
    pairs.set('p384', await t.hsm.generateKeyPair({ type: 'EC', curve: 'P-384' }, { label: 'our-p384', id: '0105' }));
    await t.hsm.generateAesKey(256, { label: 'our-aes256', id: '0106' });
  });

  afterAll(async () => {
    await t?.hsm.close();
  });

  const pair = (name: string): HsmKeyPair => {
    const p = pairs.get(name);
    if (p === undefined) throw new Error(`no pair ${name}`);
    return p;
  };

  it('pkcs11-tool lists our private and secret keys as sensitive and never extractable', () => {
    const objects = listToolObjects(t.token);
    for (const [label, detail] of [
      ['our-rsa2048', /^RSA/],
      ['our-rsa3072', /^RSA/],
      ['our-p256', /^EC/],
      ['our-p384', /^EC/],
    ] as const) {
      const priv = toolView(objects, 'Private Key Object', label);
      expect(priv.detail).toMatch(detail);
      expect(priv.access).toEqual(expect.arrayContaining(['sensitive', 'always sensitive', 'never extractable']));
      expect(priv.access).not.toContain('extractable');
      // One key, one job: a signing key does nothing else.
      expect(priv.usage).toEqual(['sign']);
      const pub = toolView(objects, 'Public Key Object', label);
      expect(pub.id).toBe(priv.id);
    }
    expect(toolView(objects, 'Public Key Object', 'our-rsa3072').detail).toBe('RSA 3072 bits');
    expect(toolView(objects, 'Public Key Object', 'our-p384').detail).toMatch(/EC_POINT 384 bits/);
    const aes = toolView(objects, 'Secret Key Object', 'our-aes256');
    expect(aes.detail).toBe('AES length 32');
    expect(aes.usage).toEqual(['encrypt', 'decrypt']);
    expect(aes.access).toEqual(expect.arrayContaining(['sensitive', 'always sensitive', 'never extractable']));
    expect(aes.access).not.toContain('extractable');
  });

  it('our SubjectPublicKeyInfo equals the public key pkcs11-tool exports', async () => {
    // (This pkcs11-tool, OpenSC with OpenSSL 3, cannot export P-384 public keys: "cannot create EVP_PKEY".)
    for (const [name, id] of [['rsa2048', '0102'], ['rsa3072', '0103'], ['p256', '0104']] as const) {
      const file = join(t.dir, `${name}-tool.der`);
      pkcs11Tool(t.token, ['--read-object', '--type', 'pubkey', '--id', id, '--output-file', file]);
      expect((await t.hsm.publicKeySpki(pair(name).privateKey)).equals(readFileSync(file))).toBe(true);
    }
  });

  const cases: readonly (readonly [string, SignatureAlgorithmName, string, string, readonly string[]])[] = [
    ['RSA-2048 PKCS#1 v1.5 (RS256)', 'RS256', 'rsa2048', 'sha256', []],
    ['RSA-3072 PKCS#1 v1.5 (RS384)', 'RS384', 'rsa3072', 'sha384', []],
    ['RSA-2048 PSS (PS256, salt 32)', 'PS256', 'rsa2048', 'sha256', ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32']],
    ['RSA-3072 PSS (PS512, salt 64)', 'PS512', 'rsa3072', 'sha512', ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:64']],
    ['P-256 ECDSA, DER (ES256)', 'ES256', 'p256', 'sha256', []],
    ['P-384 ECDSA, DER (ES384)', 'ES384', 'p384', 'sha384', []],
  ];

  it.each(cases)('openssl dgst -verify accepts %s, and refuses it for other data', async (name, algorithm, keyName, digest, extra) => {
    const keys = pair(keyName);
    const spki = await t.hsm.publicKeySpki(keys.publicKey);
    const signature = await t.hsm.sign(algorithm, keys.privateKey, MESSAGE);
    const slug = name.replace(/\W+/g, '-');
    const ok = opensslVerify(t.dir, slug, spki, digest, MESSAGE, signature, extra);
    expect(ok.output).toContain('Verified OK');
    expect(ok.status).toBe(0);
    const bad = opensslVerify(t.dir, `${slug}-bad`, spki, digest, Buffer.from('other data'), signature, extra);
    expect(bad.output).toContain('Verification failure');
    expect(bad.status).toBe(1);
    // And the token agrees with OpenSSL both ways.
    await expect(t.hsm.verify(algorithm, keys.publicKey, MESSAGE, signature)).resolves.toBe(true);
    await expect(t.hsm.verify(algorithm, keys.publicKey, Buffer.from('other data'), signature)).resolves.toBe(false);
  });

  describe('keys made by pkcs11-tool', () => {
    const made: Record<string, { label: string; id: string }> = {
      ec: { label: 'tool-p256', id: 'ec0256' },
      rsa: { label: 'tool-rsa2048', id: '5a2048' },
    };

    beforeAll(() => {
      pkcs11Tool(t.token, ['--login', '--pin', t.token.userPin, '--keypairgen', '--key-type', 'EC:prime256v1', '--label', made.ec?.label ?? '', '--id', made.ec?.id ?? '']);
      pkcs11Tool(t.token, ['--login', '--pin', t.token.userPin, '--keypairgen', '--key-type', 'rsa:2048', '--label', made.rsa?.label ?? '', '--id', made.rsa?.id ?? '']);
    });

    it.each([
      ['ec', 'ES256', 'sha256', 'P-256'],
      ['rsa', 'RS256', 'sha256', undefined],
    ] as const)('a %s key pair is found by label and by id and signs what openssl verifies', async (kind, algorithm, digest, curve) => {
      const { label, id } = made[kind] ?? { label: '', id: '' };
      const byLabel = await t.hsm.findKey({ class: 'privateKey', label });
      const byId = await t.hsm.findKey({ class: 'privateKey', id });
      const byBoth = await t.hsm.findKey({ class: 'privateKey', label, id: Buffer.from(id, 'hex') });
      for (const key of [byLabel, byId, byBoth]) {
        expect(key).toMatchObject<Partial<HsmKey>>({ class: 'privateKey', label, id, token: true });
        expect(key.handle.equals(byLabel.handle)).toBe(true);
      }
      if (curve !== undefined) expect(byLabel.curve).toBe(curve);
      else expect(byLabel.bits).toBe(2048);
      const keys = await t.hsm.findKeyPair({ label });
      expect(keys.publicKey.id).toBe(id);
      const signature = await t.hsm.sign(algorithm, byId, MESSAGE);
      const file = join(t.dir, `${label}.pub.der`);
      pkcs11Tool(t.token, ['--read-object', '--type', 'pubkey', '--id', id, '--output-file', file]);
      const spki = readFileSync(file);
      expect((await t.hsm.publicKeySpki(byLabel)).equals(spki)).toBe(true);
      const verified = opensslVerify(t.dir, `${label}-sig`, spki, digest, MESSAGE, signature);
      expect(verified.output).toContain('Verified OK');
    });

    it('a label or id that matches nothing is a KeyNotFoundError naming it', async () => {
      await expect(t.hsm.findKey({ class: 'privateKey', label: 'nobody' })).rejects.toMatchObject({
        code: 'ERR_HSM_KEY_NOT_FOUND',
        message: 'no key in the token matches class privateKey, label "nobody"',
      });
      await expect(t.hsm.findKey({ class: 'privateKey', id: 'ffee' })).rejects.toMatchObject({ code: 'ERR_HSM_KEY_NOT_FOUND', message: expect.stringContaining('id ffee') });
    });
  });

  it('refuses keys that cannot do the job, with a typed error', async () => {
    await expect(t.hsm.sign('ES256', pair('rsa2048').privateKey, MESSAGE)).rejects.toMatchObject({ code: 'ERR_HSM_KEY_UNSUITABLE' });
    await expect(t.hsm.sign('RS256', pair('rsa2048').publicKey, MESSAGE)).rejects.toMatchObject({ code: 'ERR_HSM_KEY_UNSUITABLE' });
    await expect(t.hsm.verify('ES256', pair('p256').publicKey, MESSAGE, Buffer.from('3006020101020101', 'hex'))).resolves.toBe(false);
    // Not strict DER: refused before the token sees it.
    const good = await t.hsm.sign('ES256', pair('p256').privateKey, MESSAGE);
    await expect(t.hsm.verify('ES256', pair('p256').publicKey, MESSAGE, Buffer.concat([good, Buffer.from([0])]))).resolves.toBe(false);
  });
});
