import fc from 'fast-check';
import {
  POR_STATUS,
  buildResponsePacket,
  encodeKic,
  encodeKid,
  isOtaError,
  openResponse,
  parseResponsePacket,
  resolveSecurity,
  type PorExpectation,
  type PorStatusCode,
  type Spi,
} from '../../../src/channel/ota';
import { SIM, STRONG_SPI, TAR, capturedLog, keySet, silentLog } from './support';

const CODES = Object.keys(POR_STATUS).map(Number) as PorStatusCode[];

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const err: unknown = await p.then(() => undefined, (e: unknown) => e);
  return err === undefined ? undefined : isOtaError(err) ? err.code : `not an OtaError: ${String(err)}`;
}

function setup(spi: Spi = STRONG_SPI, algorithm: Parameters<typeof keySet>[0] = 'AES-CBC') {
  const ks = keySet(algorithm);
  const sec = resolveSecurity(SIM, spi, encodeKic(ks.kic), encodeKid(ks.kid));
  const expectation: PorExpectation = { sim: SIM, spi, kic: ks.kic, kid: ks.kid, tar: TAR, counter: 77n };
  return { ks, sec, expectation };
}

describe('round trip: buildResponsePacket → openResponse', () => {
  test('any status, data and PoR security the SPI can ask for', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('AES-CBC', '3DES-2KEY-CBC', '3DES-3KEY-CBC'),
        fc.constantFrom('none', 'cc'),
        fc.boolean(),
        fc.constantFrom(...CODES),
        fc.uint8Array({ maxLength: 600 }),
        async (algorithm, porChecksum, porCiphered, code, data) => {
          const spi: Spi = { ...STRONG_SPI, porChecksum, porCiphered };
          const { ks, sec, expectation } = setup(spi, algorithm);
          const status = POR_STATUS[code].name;
          const built = await buildResponsePacket({ tar: TAR, counter: 77n, status, data, cipher: sec.porCipher, check: sec.porCheck, concatRef: 3 }, ks.crypto);
          const por = await openResponse(built.userData, expectation, ks.crypto, silentLog());
          expect(por).toMatchObject({ status, statusCode: code, counter: 77n, secured: porChecksum === 'cc' || porCiphered });
          expect(Buffer.from(data).equals(por.data)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('RHL = 10 + CC, RPL counts what follows it, PCNTR counts the padding', async () => {
    const { ks, sec } = setup();
    const { packet, userData } = await buildResponsePacket({ tar: TAR, counter: 1n, status: 'por-ok', data: Buffer.from('016132', 'hex'), cipher: sec.porCipher, check: sec.porCheck }, ks.crypto);
    // CNTR 5 + PCNTR 1 + status 1 + CC 8 + 3 = 18 → 32; RPL = RHL 1 + TAR 3 + 32 = 36.
    expect(packet.readUInt16BE(0)).toBe(36);
    expect(packet[2]).toBe(18);
    expect(userData[0]?.subarray(0, 3).toString('hex')).toBe('027100');
  });
});

describe('the platform refuses PoRs it cannot trust', () => {
  test('a flipped CC octet → CHECKSUM_FAILED, with a log line', async () => {
    const spi: Spi = { ...STRONG_SPI, porCiphered: false };
    const { ks, sec, expectation } = setup(spi);
    const built = await buildResponsePacket({ tar: TAR, counter: 77n, status: 'por-ok', data: Buffer.from('ok'), check: sec.porCheck }, ks.crypto);
    const ud = Buffer.from(built.userData[0]!);
    ud[16] = (ud[16] ?? 0) ^ 0xff;
    const cap = capturedLog();
    expect(await codeOf(openResponse([ud], expectation, ks.crypto, cap.log))).toBe('CHECKSUM_FAILED');
    expect((await cap.lines())[0]).toMatchObject({ event: 'ota.por.refused', code: 'CHECKSUM_FAILED', tar: 'c00001' });
  });

  test('a PoR for another command (other CNTR) → POR_MISMATCH: old PoRs cannot be replayed', async () => {
    const { ks, sec, expectation } = setup();
    const built = await buildResponsePacket({ tar: TAR, counter: 76n, status: 'por-ok', cipher: sec.porCipher, check: sec.porCheck }, ks.crypto);
    expect(await codeOf(openResponse(built.userData, expectation, ks.crypto, silentLog()))).toBe('POR_MISMATCH');
  });

  test('another TAR → POR_MISMATCH', async () => {
    const { ks, sec, expectation } = setup();
    const built = await buildResponsePacket({ tar: Buffer.from('b00000', 'hex'), counter: 77n, status: 'por-ok', cipher: sec.porCipher, check: sec.porCheck }, ks.crypto);
    expect(await codeOf(openResponse(built.userData, expectation, ks.crypto, silentLog()))).toBe('POR_MISMATCH');
  });

  test("an unsecured PoR is accepted only for statuses a SIM sends unsecured, and marked so", async () => {
    const { ks, expectation } = setup();
    for (const code of CODES) {
      const { userData } = await buildResponsePacket({ tar: TAR, counter: 0n, status: POR_STATUS[code].name }, ks.crypto);
      const result = openResponse(userData, expectation, ks.crypto, silentLog());
      if (POR_STATUS[code].securedPor) expect(await codeOf(result)).toBe('POR_MISMATCH');
      else expect(await result).toMatchObject({ status: POR_STATUS[code].name, secured: false });
    }
  });

  test('a reserved status code → MALFORMED', async () => {
    const { ks, expectation } = setup({ ...STRONG_SPI, porChecksum: 'none', porCiphered: false });
    const { packet } = await buildResponsePacket({ tar: TAR, counter: 77n, status: 'por-ok' }, ks.crypto);
    const bad = Buffer.from(packet);
    bad[12] = 0x0d;
    expect(await codeOf(parseResponsePacket(bad, expectation, ks.crypto, silentLog()))).toBe('MALFORMED');
  });

  test('ciphertext that is not whole blocks → CIPHERING_ERROR; garbage → MALFORMED; never anything untyped', async () => {
    const { ks, sec, expectation } = setup({ ...STRONG_SPI, porChecksum: 'none' });
    const { packet } = await buildResponsePacket({ tar: TAR, counter: 77n, status: 'por-ok', data: Buffer.from('abc'), cipher: sec.porCipher }, ks.crypto);
    const cut = Buffer.from(packet.subarray(0, packet.length - 1));
    cut.writeUInt16BE(cut.length - 2, 0);
    expect(await codeOf(parseResponsePacket(cut, expectation, ks.crypto, silentLog()))).toBe('CIPHERING_ERROR');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const code = await codeOf(parseResponsePacket(bytes, expectation, ks.crypto, silentLog()));
        expect(code === undefined || !code.startsWith('not an OtaError')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
