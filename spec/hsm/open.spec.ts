import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureToken } from '../../hsm-sim/softhsm';
import type { ThrowAwayToken } from '../support/softhsm';
import {
  HsmClosedError,
  ModuleLoadError,
  PinIncorrectError,
  TokenInUseError,
  TokenNotFoundError,
  isHsmFailure,
  openHsm,
  type HsmFailure,
} from '../../src/hsm';
import { Pkcs11Module } from '../../src/hsm/module';
import { SESSION_STATE, SessionPool } from '../../src/hsm/session-pool';
import { throwAwayToken } from './support';

/** Rejection of a promise as a value, to inspect its fields. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('opening the HSM: bad input gives one clear typed error', () => {
  let token: ThrowAwayToken;

  beforeAll(() => {
    token = throwAwayToken('open-spec');
    // A second token in the same SoftHSM2 configuration, to be named in the "labels that exist".
    ensureToken(token.env, { label: 'open-spec-other', soPin: '5678', userPin: '4321' });
  });

  afterEach(() => {
    // Every test leaves the library released, whatever happened in it.
    expect(Pkcs11Module.references(token.env.modulePath)).toBe(0);
  });

  it('a missing module path names the path', async () => {
    const err = await failureOf(openHsm({ modulePath: '/nowhere/libmissing-pkcs11.so', tokenLabel: token.label, pin: token.userPin }));
    expect(err).toBeInstanceOf(ModuleLoadError);
    const failure = err as ModuleLoadError;
    expect(failure.code).toBe('ERR_HSM_MODULE_LOAD');
    expect(failure.modulePath).toBe('/nowhere/libmissing-pkcs11.so');
    expect(failure.message).toBe('cannot load the PKCS#11 module /nowhere/libmissing-pkcs11.so: no such file');
  });

  it('a file that is not a PKCS#11 library names the path and why', async () => {
    const notALibrary = join(token.env.tokenDir, '..', 'not-a-library.so');
    writeFileSync(notALibrary, 'plain text');
    const err = await failureOf(openHsm({ modulePath: notALibrary, tokenLabel: token.label, pin: token.userPin }));
    expect(err).toBeInstanceOf(ModuleLoadError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot load the PKCS#11 module ${notALibrary.replace(/[.]/g, '\\.')}: not a loadable PKCS#11 library \\(.*\\)$`));
  });

  it('a missing token label names the label and the labels that exist', async () => {
    const err = await failureOf(openHsm({ modulePath: token.env.modulePath, tokenLabel: 'no-such-token', pin: token.userPin }));
    expect(err).toBeInstanceOf(TokenNotFoundError);
    const failure = err as TokenNotFoundError;
    expect(failure.code).toBe('ERR_HSM_TOKEN_NOT_FOUND');
    expect(failure.tokenLabel).toBe('no-such-token');
    expect([...failure.availableLabels].sort()).toEqual(['open-spec', 'open-spec-other']);
    expect(failure.message).toBe(
      `no PKCS#11 token labelled "no-such-token" in ${token.env.modulePath}; initialised tokens: ${failure.availableLabels.map((l) => `"${l}"`).join(', ')}`,
    );
  });

  it('a wrong PIN is CKR_PIN_INCORRECT, never shows the PIN, and leaves nothing open or logged in', async () => {
    const err = await failureOf(openHsm({ modulePath: token.env.modulePath, tokenLabel: token.label, pin: '98765', poolSize: 3 }));
    expect(err).toBeInstanceOf(PinIncorrectError);
    const failure = err as PinIncorrectError;
    expect(failure.code).toBe('ERR_HSM_PIN_INCORRECT');
    expect(failure.ckr).toBe('CKR_PIN_INCORRECT');
    expect(failure.rv).toBe(0xa0);
    expect(failure.operation).toBe('C_Login');
    expect(failure.message).toBe('CKR_PIN_INCORRECT: the token rejected the user PIN (C_Login)');
    expect(`${failure.message} ${failure.stack ?? ''} ${JSON.stringify(failure)}`).not.toContain('98765');
    // The discriminated union narrows on the code.
    const narrowed: HsmFailure = failure;
    if (isHsmFailure(narrowed) && narrowed.code === 'ERR_HSM_PIN_INCORRECT') expect(narrowed.ckr).toBe('CKR_PIN_INCORRECT');

    // Then the right PIN works.
    const hsm = await openHsm({ modulePath: token.env.modulePath, tokenLabel: token.label, pin: token.userPin, poolSize: 3 });
    expect(hsm.poolStats).toEqual({ size: 3, idle: 3, busy: 0, waiting: 0 });
    await hsm.ping();
    await hsm.close();
  });

  it('the session pool closes every session it opened when the login fails (checked on the token)', async () => {
    const module = Pkcs11Module.load(token.env.modulePath);
    // Spies that call through: they only record which session handles the pool got from the token.
    const opened = jest.spyOn(module.p11, 'C_OpenSession');
    try {
      const slot = module.findToken(token.label).slot;
      expect(() => SessionPool.open(module.p11, slot, 'bad-pin', 4)).toThrow(PinIncorrectError);
      const handles = opened.mock.results.map((r) => r.value as Buffer);
      expect(handles).toHaveLength(4);
      // The token no longer knows any of them.
      for (const handle of handles) expect(() => module.p11.C_GetSessionInfo(handle)).toThrow(/CKR_SESSION_HANDLE_INVALID/);
      // A fresh session is public: nobody is logged in.
      const probe = module.p11.C_OpenSession(slot, 0x4 | 0x2);
      expect(module.p11.C_GetSessionInfo(probe).state).toBe(SESSION_STATE.RW_PUBLIC_SESSION);
      module.p11.C_CloseSession(probe);

      opened.mockClear();
      const pool = SessionPool.open(module.p11, slot, token.userPin, 4);
      expect(pool.idleSessionStates()).toEqual([3, 3, 3, 3].map(() => SESSION_STATE.RW_USER_FUNCTIONS));
      const good = opened.mock.results.map((r) => r.value as Buffer);
      await pool.close();
      for (const handle of good) expect(() => module.p11.C_GetSessionInfo(handle)).toThrow(/CKR_SESSION_HANDLE_INVALID/);
    } finally {
      opened.mockRestore();
      module.release();
    }
  });

  it('a token is opened once per process; after close it can be opened again', async () => {
    const first = await openHsm({ modulePath: token.env.modulePath, tokenLabel: token.label, pin: token.userPin });
    try {
      const err = await failureOf(openHsm({ modulePath: token.env.modulePath, tokenLabel: token.label, pin: token.userPin }));
      expect(err).toBeInstanceOf(TokenInUseError);
      // Another token of the same library may be open beside it; they share the library.
      const other = await openHsm({ modulePath: token.env.modulePath, tokenLabel: 'open-spec-other', pin: '4321' });
      expect(Pkcs11Module.references(token.env.modulePath)).toBe(2);
      await other.close();
      expect(Pkcs11Module.references(token.env.modulePath)).toBe(1);
    } finally {
      await first.close();
    }
    const again = await openHsm({ modulePath: token.env.modulePath, tokenLabel: token.label, pin: token.userPin });
    await again.ping();
    await again.close();
  });

  it('close waits for operations in flight; later calls fail with HsmClosedError', async () => {
    const hsm = await openHsm({ modulePath: token.env.modulePath, tokenLabel: token.label, pin: token.userPin, poolSize: 2, inlineBelowMicros: 0 });
    const pair = await hsm.generateKeyPair({ type: 'RSA', modulusBits: 2048 }, { label: 'closing', token: false });
    const inFlight = Array.from({ length: 6 }, (_, i) => hsm.sign('RS256', pair.privateKey, Buffer.from(`message ${i}`)));
    const closed = hsm.close();
    const results = await Promise.allSettled(inFlight);
    await closed;
    // The two that had sessions finish; the four waiting for one are refused.
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    for (const r of results.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) expect(r.reason).toBeInstanceOf(HsmClosedError);
    await expect(hsm.sign('RS256', pair.privateKey, Buffer.from('late'))).rejects.toBeInstanceOf(HsmClosedError);
    await expect(hsm.ping()).rejects.toBeInstanceOf(HsmClosedError);
    await hsm.close();
  });

  it('callers beyond the pool size are served first come, first served', async () => {
    const hsm = await openHsm({ modulePath: token.env.modulePath, tokenLabel: token.label, pin: token.userPin, poolSize: 1, inlineBelowMicros: 0 });
    try {
      const pair = await hsm.generateKeyPair({ type: 'EC', curve: 'P-256' }, { label: 'fifo', token: false });
      const order: number[] = [];
      const calls = Array.from({ length: 8 }, (_, i) => hsm.sign('ES256', pair.privateKey, Buffer.from([i])).then(() => order.push(i)));
      expect(hsm.poolStats).toMatchObject({ size: 1, busy: 1, waiting: 7 });
      await Promise.all(calls);
      expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(hsm.poolStats).toEqual({ size: 1, idle: 1, busy: 0, waiting: 0 });
    } finally {
      await hsm.close();
    }
  });

  it('the CLI can list what is in the token without seeing any value', async () => {
    const hsm = await openHsm({ modulePath: token.env.modulePath, tokenLabel: token.label, pin: token.userPin });
    try {
      await hsm.generateKeyPair({ type: 'EC', curve: 'P-384' }, { label: 'listed', id: 'a1b2' });
      await hsm.generateAesKey(256, { label: 'listed-aes', id: 'a1b3' });
      const objects = await hsm.listObjects();
      const mine = objects.filter((o) => o.label.startsWith('listed')).sort((a, b) => a.class.localeCompare(b.class));
      expect(mine).toEqual([
        expect.objectContaining({ label: 'listed', id: 'a1b2', class: 'privateKey', keyType: 'EC', sensitive: true, extractable: false, neverExtractable: true, token: true, bits: 384, curve: 'P-384' }),
        expect.objectContaining({ label: 'listed', id: 'a1b2', class: 'publicKey', keyType: 'EC', sensitive: false, extractable: false, token: true }),
        expect.objectContaining({ label: 'listed-aes', id: 'a1b3', class: 'secretKey', keyType: 'AES', sensitive: true, extractable: false, bits: 256 }),
      ]);
      for (const o of objects) expect(Object.keys(o)).not.toContain('handle');
    } finally {
      await hsm.close();
    }
  });
});
