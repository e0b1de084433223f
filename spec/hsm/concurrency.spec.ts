import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ensureToken } from '../../hsm-sim/softhsm';
import { openHsm, type Hsm, type HsmKeyPair, type SignatureAlgorithmName } from '../../src/hsm';
import { throwAwayToken } from './support';

const SIGNERS = 8;
const SIGNATURES = 10_000;

/**
 * 8 callers share 4 sessions, so the wait queue is busy the whole time, and operations run on libuv
 * threads (inlineBelowMicros 0) — the path that crashes pkcs11js without CKF_OS_LOCKING_OK.
 * Every signature is over its own message and is checked in software afterwards.
 */
async function signConcurrently(hsm: Hsm, algorithm: SignatureAlgorithmName, keys: HsmKeyPair): Promise<Buffer[]> {
  const signatures: Buffer[] = new Array<Buffer>(SIGNATURES);
  let next = 0;
  await Promise.all(
    Array.from({ length: SIGNERS }, async () => {
      while (next < SIGNATURES) {
        const i = next;
        next += 1;
        signatures[i] = await hsm.sign(algorithm, keys.privateKey, Buffer.from(`message ${i}`));
      }
    }),
  );
  return signatures;
}

function verifyAll(publicKey: KeyObject, algorithm: SignatureAlgorithmName, signatures: readonly Buffer[]): number {
  let good = 0;
  signatures.forEach((signature, i) => {
    const data = Buffer.from(`message ${i}`);
    const key = algorithm.startsWith('PS') ? { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : publicKey;
    if (verify('sha256', data, key, signature)) good += 1;
  });
  return good;
}

describe(`${SIGNERS} concurrent signers, ${SIGNATURES} signatures each run`, () => {
  let threaded: Hsm;
  /** A second token opened with the default inline policy: cheap operations run on the event loop. */
  let inline: Hsm;

  beforeAll(async () => {
    const token = throwAwayToken('concurrency');
    ensureToken(token.env, { label: 'concurrency-inline', soPin: token.soPin, userPin: token.userPin });
    const common = { modulePath: token.env.modulePath, pin: token.userPin, poolSize: 4 };
    threaded = await openHsm({ ...common, tokenLabel: 'concurrency', inlineBelowMicros: 0 });
    inline = await openHsm({ ...common, tokenLabel: 'concurrency-inline' });
  });

  afterAll(async () => {
    await threaded?.close();
    await inline?.close();
  });

  it.each([
    ['P-256 ECDSA', 'ES256', { type: 'EC', curve: 'P-256' }],
    ['RSA-2048 PKCS#1 v1.5', 'RS256', { type: 'RSA', modulusBits: 2048 }],
  ] as const)('%s: no crash, and every signature verifies with node:crypto', async (_name, algorithm, spec) => {
    const keys = await threaded.generateKeyPair(spec, { label: `concurrent-${algorithm}`, token: false });
    const publicKey = createPublicKey({ key: await threaded.publicKeySpki(keys.publicKey), format: 'der', type: 'spki' });
    const signatures = await signConcurrently(threaded, algorithm, keys);
    expect(signatures.filter((s) => s !== undefined)).toHaveLength(SIGNATURES);
    expect(verifyAll(publicKey, algorithm, signatures)).toBe(SIGNATURES);
    expect(threaded.poolStats).toEqual({ size: 4, idle: 4, busy: 0, waiting: 0 });
  });

  it('mixed algorithms and verifications on two tokens at once, inline and threaded, all correct', async () => {
    const ec = await inline.generateKeyPair({ type: 'EC', curve: 'P-256' }, { label: 'mixed-ec', token: false });
    const rsa = await threaded.generateKeyPair({ type: 'RSA', modulusBits: 2048 }, { label: 'mixed-rsa', token: false });
    const jobs: Promise<boolean>[] = [];
    for (let i = 0; i < 2000; i += 1) {
      const data = Buffer.from(`mixed ${i}`);
      if (i % 4 === 0) jobs.push(threaded.sign('PS256', rsa.privateKey, data).then((s) => threaded.verify('PS256', rsa.publicKey, data, s)));
      else jobs.push(inline.sign('ES256', ec.privateKey, data).then((s) => inline.verify('ES256', ec.publicKey, data, s)));
    }
    expect((await Promise.all(jobs)).every(Boolean)).toBe(true);
    expect(threaded.signingMode('PS256', rsa.privateKey)).toBe('async');
  });
});
