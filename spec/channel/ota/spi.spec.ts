import fc from 'fast-check';
import {
  decodeKic,
  decodeKid,
  decodeMsl,
  decodeSpi,
  encodeKic,
  encodeKid,
  encodeMsl,
  encodeSpi,
  isOtaError,
  meetsMinimumSecurity,
  type Kic,
  type Kid,
  type Spi,
} from '../../../src/channel/ota';

const spiArb: fc.Arbitrary<Spi> = fc.record({
  checksum: fc.constantFrom('none', 'rc', 'cc', 'ds'),
  ciphered: fc.boolean(),
  counter: fc.constantFrom('none', 'no-check', 'higher', 'one-higher'),
  por: fc.constantFrom('none', 'always', 'on-error'),
  porChecksum: fc.constantFrom('none', 'rc', 'cc', 'ds'),
  porCiphered: fc.boolean(),
  porTransport: fc.constantFrom('sms-deliver-report', 'sms-submit'),
});

function thrownCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return isOtaError(err) ? err.code : 'not an OtaError';
  }
  return undefined;
}

describe('SPI (TS 102 225 §5.1.1, TS 31.115 §4.2)', () => {
  test('round trip of every typed value', () => {
    fc.assert(
      fc.property(spiArb, (spi) => {
        const [a, b] = encodeSpi(spi);
        expect(decodeSpi(a!, b!)).toEqual(spi);
      }),
    );
  });

  test("'06 19' (pySim / SJA5 vectors): CC, ciphered, no counter; PoR required, with CC, ciphered, via DELIVER-REPORT", () => {
    expect(decodeSpi(0x06, 0x19)).toEqual({
      checksum: 'cc',
      ciphered: true,
      counter: 'none',
      por: 'always',
      porChecksum: 'cc',
      porCiphered: true,
      porTransport: 'sms-deliver-report',
    });
  });

  test("'16 21': counter must be higher; PoR via SMS-SUBMIT (b6)", () => {
    expect(decodeSpi(0x16, 0x21)).toMatchObject({ counter: 'higher', porTransport: 'sms-submit', por: 'always', porChecksum: 'none', porCiphered: false });
    expect(decodeSpi(0x1e, 0x02)).toMatchObject({ counter: 'one-higher', por: 'on-error' });
    expect(decodeSpi(0x09, 0x00)).toMatchObject({ counter: 'no-check', checksum: 'rc', por: 'none' });
  });

  test('reserved bits are ignored on receipt and zero on sending', () => {
    expect(decodeSpi(0xe6, 0xd9)).toEqual(decodeSpi(0x06, 0x19));
    fc.assert(
      fc.property(spiArb, (spi) => {
        const [a, b] = encodeSpi(spi);
        expect(a! & 0xe0).toBe(0);
        expect(b! & 0xc0).toBe(0);
      }),
    );
  });

  test("PoR mode '11' is reserved", () => {
    expect(thrownCode(() => decodeSpi(0x00, 0x03))).toBe('RESERVED_CODING');
  });
});

describe('KIc / KID (TS 102 225 §5.1.2, §5.1.3)', () => {
  test.each([
    [0x22, { algorithm: 'AES-CBC', keyVersion: 2 }],
    [0x35, { algorithm: '3DES-2KEY-CBC', keyVersion: 3 }],
    [0x19, { algorithm: '3DES-3KEY-CBC', keyVersion: 1 }],
    [0x11, { algorithm: 'DES-CBC', keyVersion: 1 }],
    [0x1d, { algorithm: 'DES-ECB', keyVersion: 1 }],
    [0xf0, { algorithm: 'implicit', keyVersion: 15 }],
    [0x03, { algorithm: 'proprietary', keyVersion: 0 }],
  ] as const)('KIc %s', (byte, kic) => {
    expect(decodeKic(byte)).toEqual(kic);
    if (kic.algorithm !== 'implicit' && kic.algorithm !== 'proprietary') expect(encodeKic(kic as Kic)).toBe(byte);
  });

  test.each([0x06, 0x0a, 0x0e])('KIc AES mode bits %s are reserved', (byte) => {
    expect(thrownCode(() => decodeKic(byte))).toBe('RESERVED_CODING');
  });

  test.each([
    [0x22, 'cc', { algorithm: 'AES-CMAC', keyVersion: 2 }],
    [0x35, 'cc', { algorithm: '3DES-2KEY-MAC', keyVersion: 3 }],
    [0x49, 'cc', { algorithm: '3DES-3KEY-MAC', keyVersion: 4 }],
    [0x01, 'rc', { algorithm: 'CRC16', keyVersion: 0 }],
    [0x05, 'rc', { algorithm: 'CRC32', keyVersion: 0 }],
  ] as const)('KID %s as %s', (byte, kind, kid) => {
    expect(decodeKid(byte, kind)).toEqual(kid);
    expect(encodeKid(kid as Kid)).toBe(byte);
  });

  test.each([
    [0x0d, 'cc'],
    [0x06, 'cc'],
    [0x02, 'rc'],
    [0x09, 'rc'],
  ] as const)('KID %s as %s is reserved', (byte, kind) => {
    expect(thrownCode(() => decodeKid(byte, kind))).toBe('RESERVED_CODING');
  });

  test('key version must be 0-15', () => {
    expect(thrownCode(() => encodeKic({ algorithm: 'AES-CBC', keyVersion: 16 }))).toBe('INVALID_ARGUMENT');
  });
});

describe('minimum security level (TS 102 226 §8.2.1.3.2.4.2)', () => {
  test('coded like the first SPI octet', () => {
    expect(decodeMsl(0x16)).toEqual({ checksum: 'cc', ciphered: true, counter: 'higher' });
    expect(encodeMsl({ checksum: 'cc', ciphered: true, counter: 'higher' })).toBe(0x16);
  });

  test('each component must reach the minimum', () => {
    const msl = decodeMsl(0x16);
    expect(meetsMinimumSecurity(decodeSpi(0x16, 0), msl)).toBe(true);
    expect(meetsMinimumSecurity(decodeSpi(0x1e, 0), msl)).toBe(true);
    expect(meetsMinimumSecurity(decodeSpi(0x12, 0), msl)).toBe(false);
    expect(meetsMinimumSecurity(decodeSpi(0x15, 0), msl)).toBe(false);
    expect(meetsMinimumSecurity(decodeSpi(0x0e, 0), msl)).toBe(false);
  });
});
