import { OTA_ERRORS, POR_STATUS, isPorStatusCode, porStatusCode, porStatusName, type PorStatusCode } from '../../../src/channel/ota';

describe('PoR status table (TS 102 225 §5.4, TS 31.115 §7)', () => {
  const codes = Object.keys(POR_STATUS).map(Number) as PorStatusCode[];

  test("codes '00' to '0C', each once, names unique and both ways", () => {
    expect(codes.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const names = codes.map((c) => POR_STATUS[c].name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of codes) expect(porStatusCode(porStatusName(c))).toBe(c);
    expect(isPorStatusCode(0x0d)).toBe(false);
  });

  test('the statuses the brief names, at their codes', () => {
    expect(porStatusCode('por-ok')).toBe(0x00);
    expect(porStatusCode('rc-cc-ds-failed')).toBe(0x01);
    expect(porStatusCode('cntr-low')).toBe(0x02);
    expect(porStatusCode('cntr-high')).toBe(0x03);
    expect(porStatusCode('cntr-blocked')).toBe(0x04);
    expect(porStatusCode('ciphering-error')).toBe(0x05);
    expect(porStatusCode('unidentified-security-error')).toBe(0x06);
    expect(porStatusCode('insufficient-memory')).toBe(0x07);
    expect(porStatusCode('more-time')).toBe(0x08);
    expect(porStatusCode('tar-unknown')).toBe(0x09);
    expect(porStatusCode('insufficient-security-level')).toBe(0x0a);
    expect(porStatusCode('response-via-sms-submit')).toBe(0x0b);
  });

  test('refusals of unauthenticated commands are never secured (no MAC oracle)', () => {
    for (const name of ['rc-cc-ds-failed', 'ciphering-error', 'unidentified-security-error', 'tar-unknown', 'insufficient-security-level'] as const) {
      expect(POR_STATUS[porStatusCode(name)].securedPor).toBe(false);
    }
  });

  test('every OtaError code maps to a status of the table', () => {
    const names = new Set(codes.map((c) => POR_STATUS[c].name));
    for (const def of Object.values(OTA_ERRORS)) expect(names.has(def.porStatus)).toBe(true);
  });
});
