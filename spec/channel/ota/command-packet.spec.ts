import fc from 'fast-check';
import {
  MAX_COUNTER,
  answerCommand,
  buildCommandPacket,
  isOtaError,
  openCommandPacket,
  openResponse,
  receiveCommand,
  softwareOtaCrypto,
  type CipherAlgorithm,
  type CommandOutcome,
  type Kid,
  type Spi,
} from '../../../src/channel/ota';
import { MAC_FOR, SIM, STRONG_MSL, STRONG_SPI, TAR, capturedLog, keySet, simContext } from './support';

const ALGORITHMS: readonly [CipherAlgorithm, number][] = [
  ['AES-CBC', 16],
  ['AES-CBC', 24],
  ['AES-CBC', 32],
  ['3DES-2KEY-CBC', 16],
  ['3DES-3KEY-CBC', 24],
];

function failed(outcome: CommandOutcome): Extract<CommandOutcome, { ok: false }> {
  if (outcome.ok) throw new Error('expected the command to be refused');
  return outcome;
}

describe('round trip: buildCommandPacket → receiveCommand', () => {
  test('any payload, any supported algorithm and SPI, single or concatenated SMs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ALGORITHMS),
        fc.constantFrom('none', 'rc16', 'rc32', 'cc'),
        fc.boolean(),
        fc.constantFrom('none', 'no-check', 'higher', 'one-higher'),
        fc.uint8Array({ maxLength: 700 }),
        fc.bigInt({ min: 0n, max: MAX_COUNTER - 1n }),
        async ([algorithm, keyLength], check, ciphered, counterMode, payload, stored) => {
          const ks = keySet(algorithm, 3, keyLength);
          const kid: Kid = check === 'rc16' ? { algorithm: 'CRC16', keyVersion: 3 } : check === 'rc32' ? { algorithm: 'CRC32', keyVersion: 3 } : ks.kid;
          const checksum = check === 'cc' ? 'cc' : check === 'none' ? 'none' : 'rc';
          // One KID octet serves command and PoR, so an RC command gets an RC PoR (a CRC coding is no CMAC coding).
          const spi: Spi = { ...STRONG_SPI, checksum, ciphered, counter: counterMode, porChecksum: checksum === 'rc' ? 'rc' : 'cc' };
          const counter = stored + 1n;
          const built = await buildCommandPacket({ sim: SIM, spi, kic: ks.kic, kid, tar: TAR, counter, payload, concatRef: 7 }, ks.crypto);
          expect(built.userData.every((u) => u.length <= 140)).toBe(true);
          const outcome = await receiveCommand(built.userData, simContext(ks.crypto, { minimumSecurity: { checksum: 'none', ciphered: false, counter: 'none' }, counter: stored }));
          expect(outcome.ok).toBe(true);
          if (!outcome.ok) return;
          expect(Buffer.from(payload).equals(outcome.payload)).toBe(true);
          expect(outcome.counter).toBe(counter);
          expect(outcome.counterToStore).toBe(counterMode === 'higher' || counterMode === 'one-higher' ? counter : undefined);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('segments may arrive in any order', async () => {
    const ks = keySet('AES-CBC');
    const built = await buildCommandPacket({ sim: SIM, spi: STRONG_SPI, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 1n, payload: Buffer.alloc(400, 0x5a) }, ks.crypto);
    expect(built.userData.length).toBe(4);
    const outcome = await receiveCommand([...built.userData].reverse(), simContext(ks.crypto));
    expect(outcome.ok && outcome.payload.equals(Buffer.alloc(400, 0x5a))).toBe(true);
  });

  test('lengths: CPL counts what follows it, CHL is 13 + the CC, PCNTR counts the padding', async () => {
    const ks = keySet('AES-CBC');
    const { packet } = await buildCommandPacket({ sim: SIM, spi: STRONG_SPI, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 1n, payload: Buffer.alloc(5) }, ks.crypto);
    // CNTR 5 + PCNTR 1 + CC 8 + 5 = 19 → padded to 32; CPL = CHL 1 + 7 + 32 = 40.
    expect(packet.readUInt16BE(0)).toBe(40);
    expect(packet[2]).toBe(21);
    expect(packet.length).toBe(42);
  });
});

describe('refusals: the right PoR status, a log line, no crash', () => {
  async function strongPacket(ks = keySet('AES-CBC'), counter = 10n, spi: Spi = STRONG_SPI) {
    const built = await buildCommandPacket({ sim: SIM, spi, kic: ks.kic, kid: ks.kid, tar: TAR, counter, payload: Buffer.from('hello applet') }, ks.crypto);
    return { ks, built };
  }

  test("a flipped CC octet → '01' rc-cc-ds-failed, logged, answered with an unsecured PoR", async () => {
    const { ks, built } = await strongPacket(keySet('3DES-2KEY-CBC'), 10n, { ...STRONG_SPI, ciphered: false });
    const packet = Buffer.from(built.packet);
    packet[16] = (packet[16] ?? 0) ^ 0x01; // first CC octet: CPL 2 + CHL 1 + 7 header + CNTR 5 + PCNTR 1
    const cap = capturedLog();
    const msl = { ...STRONG_MSL, ciphered: false };
    const outcome = failed(await openCommandPacket(packet, simContext(ks.crypto, { counter: 9n, minimumSecurity: msl }, cap.log)));
    expect(outcome.status).toBe('rc-cc-ds-failed');
    expect(outcome.authenticated).toBe(false);
    const lines = await cap.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, event: 'ota.command.refused', status: 'rc-cc-ds-failed', code: 'CHECKSUM_FAILED', tar: 'c00001', sim: SIM });

    // The PoR reports the failure but carries no CC: a signed refusal would be a MAC oracle for the attacker.
    const por = await answerCommand(outcome, ks.crypto);
    expect(por?.transport).toBe('sms-deliver-report');
    const parsed = await openResponse(por?.userData ?? [], { sim: SIM, spi: { ...STRONG_SPI, ciphered: false }, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 10n }, ks.crypto, cap.log);
    expect(parsed).toMatchObject({ status: 'rc-cc-ds-failed', secured: false, data: Buffer.alloc(0) });
  });

  test("a flipped bit anywhere in the ciphertext → '01' (the checksum covers all of the plaintext)", async () => {
    const { ks, built } = await strongPacket();
    for (let i = 10; i < built.packet.length; i += 1) {
      const packet = Buffer.from(built.packet);
      packet[i] = (packet[i] ?? 0) ^ 0x80;
      expect(failed(await openCommandPacket(packet, simContext(ks.crypto, { counter: 9n }))).status).toBe('rc-cc-ds-failed');
    }
  });

  test("no single-bit change of a CC-protected packet is ever accepted", async () => {
    const { ks, built } = await strongPacket();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: built.packet.length * 8 - 1 }), async (bit) => {
        const packet = Buffer.from(built.packet);
        packet[bit >> 3] = (packet[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        const outcome = await openCommandPacket(packet, simContext(ks.crypto, { counter: 9n }));
        expect(outcome.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  test("a replayed counter → '02' cntr-low, and the PoR to it is secured", async () => {
    const { ks, built } = await strongPacket(keySet('AES-CBC'), 10n);
    let stored = 9n;
    const ctx = () => simContext(ks.crypto, { counter: stored });
    const first = await receiveCommand(built.userData, ctx());
    expect(first.ok && first.counterToStore).toBe(10n);
    if (first.ok && first.counterToStore !== undefined) stored = first.counterToStore;
    const cap = capturedLog();
    const replay = failed(await receiveCommand(built.userData, simContext(ks.crypto, { counter: stored }, cap.log)));
    expect(replay.status).toBe('cntr-low');
    expect(replay.authenticated).toBe(true);
    expect((await cap.lines())[0]).toMatchObject({ status: 'cntr-low', code: 'COUNTER_LOW', received: '10', stored: '10' });
    const por = await answerCommand(replay, ks.crypto);
    const parsed = await openResponse(por?.userData ?? [], { sim: SIM, spi: STRONG_SPI, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 10n }, ks.crypto, cap.log);
    expect(parsed).toMatchObject({ status: 'cntr-low', secured: true });
  });

  test("'process if exactly one higher': +2 → '03' cntr-high; +1 accepted", async () => {
    const spi: Spi = { ...STRONG_SPI, counter: 'one-higher' };
    const ks = keySet('AES-CBC');
    const { built } = await strongPacket(ks, 12n, spi);
    expect(failed(await openCommandPacket(built.packet, simContext(ks.crypto, { counter: 10n }))).status).toBe('cntr-high');
    expect((await openCommandPacket(built.packet, simContext(ks.crypto, { counter: 11n }))).ok).toBe(true);
  });

  test("'process if higher' with a window: too far ahead → '03'", async () => {
    const ks = keySet('AES-CBC');
    const { built } = await strongPacket(ks, 1_000n);
    expect(failed(await openCommandPacket(built.packet, simContext(ks.crypto, { counter: 10n, maxCounterStep: 100n }))).status).toBe('cntr-high');
    expect((await openCommandPacket(built.packet, simContext(ks.crypto, { counter: 10n }))).ok).toBe(true);
  });

  test("a counter at its maximum → '04' cntr-blocked", async () => {
    const ks = keySet('AES-CBC');
    const { built } = await strongPacket(ks, MAX_COUNTER);
    expect(failed(await openCommandPacket(built.packet, simContext(ks.crypto, { counter: MAX_COUNTER }))).status).toBe('cntr-blocked');
    expect((await openCommandPacket(built.packet, simContext(ks.crypto, { counter: MAX_COUNTER - 1n }))).ok).toBe(true);
  });

  test("'counter available, no replay checking' accepts any counter and moves nothing", async () => {
    const ks = keySet('AES-CBC');
    const { built } = await strongPacket(ks, 3n, { ...STRONG_SPI, counter: 'no-check' });
    const outcome = await openCommandPacket(built.packet, simContext(ks.crypto, { counter: 50n, minimumSecurity: { ...STRONG_MSL, counter: 'none' } }));
    expect(outcome.ok && outcome.counterToStore).toBeUndefined();
  });

  test("an unknown TAR → '09' tar-unknown, logged, unsecured PoR", async () => {
    const ks = keySet('AES-CBC');
    const built = await buildCommandPacket({ sim: SIM, spi: STRONG_SPI, kic: ks.kic, kid: ks.kid, tar: Buffer.from('b00011', 'hex'), counter: 10n, payload: Buffer.from('x') }, ks.crypto);
    const cap = capturedLog();
    const outcome = failed(await receiveCommand(built.userData, simContext(ks.crypto, {}, cap.log)));
    expect(outcome.status).toBe('tar-unknown');
    expect((await cap.lines())[0]).toMatchObject({ event: 'ota.command.refused', status: 'tar-unknown', tar: 'b00011' });
    const por = await answerCommand(outcome, ks.crypto);
    expect(por?.userData[0]?.toString('hex')).toBe('027100000b0ab00011000000000000' + '09');
  });

  test("ciphertext that is not a whole number of blocks → '05' ciphering-error", async () => {
    const { ks, built } = await strongPacket();
    const cut = Buffer.from(built.packet.subarray(0, built.packet.length - 1));
    cut.writeUInt16BE(cut.length - 2, 0);
    expect(failed(await openCommandPacket(cut, simContext(ks.crypto, { counter: 9n }))).status).toBe('ciphering-error');
  });

  test("a PCNTR beyond the deciphered data → '05' ciphering-error", async () => {
    // Without RC/CC nothing else catches a wrong PCNTR: the length rule must.
    const ks = keySet('3DES-2KEY-CBC');
    const spi: Spi = { ...STRONG_SPI, checksum: 'none', counter: 'none' };
    const built = await buildCommandPacket({ sim: SIM, spi, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 1n, payload: Buffer.alloc(0) }, ks.crypto);
    // Re-encipher the plaintext with PCNTR 7 (> the 2 padding octets that exist).
    const plain = Buffer.concat([Buffer.alloc(5), Buffer.from([7]), Buffer.alloc(2)]);
    const reCiphered = await ks.crypto.cipher({ sim: SIM, key: 'KIc', version: 1 }, 'encrypt', '3DES-2KEY-CBC', Buffer.alloc(8), plain);
    const packet = Buffer.concat([built.packet.subarray(0, 10), reCiphered]);
    const ctx = simContext(ks.crypto, { minimumSecurity: { checksum: 'none', ciphered: true, counter: 'none' } });
    expect(failed(await openCommandPacket(packet, ctx)).status).toBe('ciphering-error');
  });

  test("an SPI below the application's minimum security level → '0A'", async () => {
    const ks = keySet('AES-CBC');
    const weak: Spi = { ...STRONG_SPI, ciphered: false };
    const built = await buildCommandPacket({ sim: SIM, spi: weak, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 10n, payload: Buffer.from('x') }, ks.crypto);
    const cap = capturedLog();
    const outcome = failed(await openCommandPacket(built.packet, simContext(ks.crypto, { counter: 9n }, cap.log)));
    expect(outcome.status).toBe('insufficient-security-level');
    expect((await cap.lines())[0]).toMatchObject({ code: 'INSUFFICIENT_SECURITY', ciphered: false });
  });

  test("a key version the SIM does not hold → '06'", async () => {
    const ks = keySet('AES-CBC', 1);
    const other = keySet('AES-CBC', 2);
    const built = await buildCommandPacket({ sim: SIM, spi: STRONG_SPI, kic: other.kic, kid: other.kid, tar: TAR, counter: 10n, payload: Buffer.from('x') }, other.crypto);
    expect(failed(await openCommandPacket(built.packet, simContext(ks.crypto))).status).toBe('unidentified-security-error');
  });

  test("unsupported or reserved codings → '06'; a reserved PoR mode leaves no header to answer", async () => {
    const ks = keySet('AES-CBC');
    const { built } = await strongPacket(ks);
    const ctx = simContext(ks.crypto, { counter: 9n });
    const ds = Buffer.from(built.packet);
    ds[3] = ((ds[3] ?? 0) & ~0x03) | 0x03; // SPI1 b2b1 = DS
    expect(failed(await openCommandPacket(ds, simContext(ks.crypto, { counter: 9n, minimumSecurity: { checksum: 'none', ciphered: false, counter: 'none' } }))).status).toBe('unidentified-security-error');
    const des = Buffer.from(built.packet);
    des[5] = 0x11; // KIc single DES
    expect(failed(await openCommandPacket(des, ctx)).status).toBe('unidentified-security-error');
    const reserved = Buffer.from(built.packet);
    reserved[4] = 0x03; // SPI2 PoR '11'
    const outcome = failed(await openCommandPacket(reserved, ctx));
    expect(outcome.status).toBe('unidentified-security-error');
    expect(outcome.header).toBeUndefined();
    expect(await answerCommand(outcome, ks.crypto)).toBeUndefined();
  });

  test("garbage, empty input and lengths that disagree → '06', never a throw", async () => {
    const ks = keySet('AES-CBC');
    const ctx = simContext(ks.crypto);
    for (const bytes of [Buffer.alloc(0), Buffer.from('00'), Buffer.from('0001ff', 'hex'), Buffer.alloc(300, 0xff)]) {
      expect(failed(await openCommandPacket(bytes, ctx)).status).toBe('unidentified-security-error');
    }
    expect(failed(await receiveCommand([], ctx)).status).toBe('unidentified-security-error');
    expect(failed(await receiveCommand([Buffer.from('027100', 'hex')], ctx)).status).toBe('unidentified-security-error');
    expect(failed(await openCommandPacket(Buffer.alloc(5000), ctx)).status).toBe('insufficient-memory');
  });

  test('a key provider that fails is a typed refusal, not a crash', async () => {
    const ks = keySet('AES-CBC');
    const { built } = await strongPacket(ks);
    const broken = { ...ks.crypto, cipher: () => Promise.reject(new Error('HSM gone')) };
    const outcome = failed(await openCommandPacket(built.packet, simContext(broken, { counter: 9n })));
    expect(outcome.error.code).toBe('KEY_UNAVAILABLE');
    expect(outcome.error.cause).toBeInstanceOf(Error);
  });
});

describe('PoR required, on error, or not at all (SPI2 b2b1)', () => {
  async function outcomes(por: Spi['por']) {
    const ks = keySet('AES-CBC');
    const spi: Spi = { ...STRONG_SPI, por };
    const built = await buildCommandPacket({ sim: SIM, spi, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 10n, payload: Buffer.from('x') }, ks.crypto);
    const ok = await openCommandPacket(built.packet, simContext(ks.crypto, { counter: 9n }));
    const replay = await openCommandPacket(built.packet, simContext(ks.crypto, { counter: 10n }));
    return { ks, spi, ok, replay };
  }

  test("'always': a PoR for success (with the application's data) and for errors", async () => {
    const { ks, spi, ok, replay } = await outcomes('always');
    const answer = await answerCommand(ok, ks.crypto, { data: Buffer.from('9000', 'hex') });
    const parsed = await openResponse(answer?.userData ?? [], { sim: SIM, spi, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 10n }, ks.crypto);
    expect(parsed).toMatchObject({ status: 'por-ok', secured: true, counter: 10n });
    expect(parsed.data.toString('hex')).toBe('9000');
    expect(await answerCommand(replay, ks.crypto)).toBeDefined();
  });

  test("'on-error': nothing for success, a PoR for errors", async () => {
    const { ks, ok, replay } = await outcomes('on-error');
    expect(await answerCommand(ok, ks.crypto)).toBeUndefined();
    expect(await answerCommand(replay, ks.crypto)).toBeDefined();
  });

  test("'none': never", async () => {
    const { ks, ok, replay } = await outcomes('none');
    expect(await answerCommand(ok, ks.crypto)).toBeUndefined();
    expect(await answerCommand(replay, ks.crypto)).toBeUndefined();
  });

  test("via SMS-SUBMIT when SPI2 b6 says so; a DELIVER-REPORT that cannot hold the data answers '0B' (TS 31.115 §7)", async () => {
    const ks = keySet('AES-CBC');
    const built = await buildCommandPacket({ sim: SIM, spi: STRONG_SPI, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 10n, payload: Buffer.from('x') }, ks.crypto);
    const ok = await openCommandPacket(built.packet, simContext(ks.crypto, { counter: 9n }));
    const expectation = { sim: SIM, spi: STRONG_SPI, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 10n };
    const big = Buffer.alloc(300, 0x42);
    const answer = await answerCommand(ok, ks.crypto, { data: big, concatRef: 9 });
    expect(answer?.transport).toBe('sms-deliver-report');
    expect(answer?.userData).toHaveLength(1);
    expect(await openResponse(answer?.userData ?? [], expectation, ks.crypto)).toMatchObject({ status: 'response-via-sms-submit', secured: true });
    const full = await openResponse(answer?.submit ?? [], expectation, ks.crypto);
    expect(full.status).toBe('por-ok');
    expect(full.data.equals(big)).toBe(true);

    const viaSubmit = { ...STRONG_SPI, porTransport: 'sms-submit' as const };
    const b2 = await buildCommandPacket({ sim: SIM, spi: viaSubmit, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 10n, payload: Buffer.from('x') }, ks.crypto);
    const ok2 = await openCommandPacket(b2.packet, simContext(ks.crypto, { counter: 9n }));
    const a2 = await answerCommand(ok2, ks.crypto, { data: big });
    expect(a2?.transport).toBe('sms-submit');
    expect(a2?.submit).toBeUndefined();
    expect((await openResponse(a2?.userData ?? [], { ...expectation, spi: viaSubmit }, ks.crypto)).data.equals(big)).toBe(true);
  });
});

describe('building refuses what it cannot send', () => {
  test.each([
    ['counter above 2^40-1', { counter: MAX_COUNTER + 1n }, 'INVALID_ARGUMENT'],
    ['negative counter', { counter: -1n }, 'INVALID_ARGUMENT'],
    ['TAR of 2 octets', { tar: Buffer.from('c000', 'hex') }, 'INVALID_ARGUMENT'],
    ['payload beyond the packet bound', { payload: Buffer.alloc(5000) }, 'TOO_LARGE'],
    ['single DES', { kic: { algorithm: 'DES-CBC', keyVersion: 1 } }, 'UNSUPPORTED_SECURITY'],
    ['digital signature', { spi: { ...STRONG_SPI, checksum: 'ds' } }, 'UNSUPPORTED_SECURITY'],
  ] as const)('%s', async (_name, change, code) => {
    const ks = keySet('AES-CBC');
    const input = { sim: SIM, spi: STRONG_SPI, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 1n, payload: Buffer.from('x'), ...change };
    const err: unknown = await buildCommandPacket(input, ks.crypto).catch((e: unknown) => e);
    expect(isOtaError(err) && err.code).toBe(code);
  });

  test('a key of the wrong length for the KIc algorithm is KEY_UNAVAILABLE', async () => {
    const crypto = softwareOtaCrypto([
      { ref: { sim: SIM, key: 'KIc', version: 1 }, secret: Buffer.alloc(16) },
      { ref: { sim: SIM, key: 'KID', version: 1 }, secret: Buffer.alloc(16) },
    ]);
    const err: unknown = await buildCommandPacket(
      { sim: SIM, spi: STRONG_SPI, kic: { algorithm: '3DES-3KEY-CBC', keyVersion: 1 }, kid: { algorithm: MAC_FOR['3DES-2KEY-CBC'], keyVersion: 1 }, tar: TAR, counter: 1n, payload: Buffer.from('x') },
      crypto,
    ).catch((e: unknown) => e);
    expect(isOtaError(err) && err.code).toBe('KEY_UNAVAILABLE');
  });
});

describe('fuzz finding (fuzz/ota-packet.ts, seed 20260626): a PoR asking for a key the command never used', () => {
  // An unciphered, unchecked command whose SPI asks for a ciphered PoR (SPI '10 31') under KIc '19'
  // (3DES three keys, version 1) while the SIM's version-1 key is AES-256: answerCommand used to throw.
  const input = Buffer.from('02700000100d10311919c00001d55ce0b01d140a8e', 'hex');

  test("is refused up front with '06', and answered unsecured", async () => {
    const crypto = softwareOtaCrypto([
      { ref: { sim: SIM, key: 'KIc', version: 1 }, secret: Buffer.alloc(32, 1) },
      { ref: { sim: SIM, key: 'KID', version: 1 }, secret: Buffer.alloc(32, 2) },
    ]);
    const ctx = simContext(crypto, { minimumSecurity: { checksum: 'none', ciphered: false, counter: 'none' }, counter: 5n, maxCounterStep: 100n });
    const outcome = failed(await receiveCommand([input], ctx));
    expect(outcome).toMatchObject({ status: 'unidentified-security-error', authenticated: true });
    expect(outcome.error.code).toBe('KEY_UNAVAILABLE');
    const por = await answerCommand(outcome, crypto);
    expect(por?.transport).toBe('sms-submit');
    expect(por?.userData[0]?.toString('hex')).toBe('027100000b0ac00001d55ce0b01d0006');
  });

  test('answerCommand degrades to an unsecured 06 when the key fails at answer time, with a log line', async () => {
    const ks = keySet('AES-CBC');
    const built = await buildCommandPacket({ sim: SIM, spi: STRONG_SPI, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 10n, payload: Buffer.from('x') }, ks.crypto);
    const ok = await openCommandPacket(built.packet, simContext(ks.crypto, { counter: 9n }));
    const broken = { ...ks.crypto, cipher: () => Promise.reject(new Error('token removed')) };
    const cap = capturedLog();
    const por = await answerCommand(ok, broken, { data: Buffer.from('9000', 'hex'), log: cap.log });
    const parsed = await openResponse(por?.userData ?? [], { sim: SIM, spi: STRONG_SPI, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 10n }, ks.crypto, cap.log);
    expect(parsed).toMatchObject({ status: 'unidentified-security-error', secured: false });
    expect((await cap.lines())[0]).toMatchObject({ event: 'ota.por.degraded', code: 'KEY_UNAVAILABLE' });
  });
});

test("application data beyond the packet bound → an unsecured '07' PoR, not a throw", async () => {
  const ks = keySet('AES-CBC');
  const built = await buildCommandPacket({ sim: SIM, spi: { ...STRONG_SPI, porTransport: 'sms-submit' }, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 10n, payload: Buffer.from('x') }, ks.crypto);
  const ok = await openCommandPacket(built.packet, simContext(ks.crypto, { counter: 9n }));
  const cap = capturedLog();
  const por = await answerCommand(ok, ks.crypto, { data: Buffer.alloc(5000), log: cap.log });
  const parsed = await openResponse(por?.userData ?? [], { sim: SIM, spi: { ...STRONG_SPI, porTransport: 'sms-submit' }, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 10n }, ks.crypto, cap.log);
  expect(parsed).toMatchObject({ status: 'insufficient-memory', secured: false });
  expect((await cap.lines())[0]).toMatchObject({ event: 'ota.por.degraded', code: 'TOO_LARGE' });
});
