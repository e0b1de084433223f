import fc from 'fast-check';
import {
  GSM7_ESCAPE,
  decodeGsm7,
  encodeGsm7,
  gsm7Septets,
  isAppletError,
  packSeptets,
  septetsToText,
  unpackSeptets,
} from '../../../src/channel/applet';

// Vectors (published examples, Perl Encode::GSM0338) live in fixtures/ota/gsm7-vectors.json and run in
// spec/channel/ota/vectors.spec.ts; this file checks the table and the strictness.

const BASIC = Array.from({ length: 128 }, (_, i) => i).filter((i) => i !== GSM7_ESCAPE);
const EXTENSION = [0x0a, 0x14, 0x28, 0x29, 0x2f, 0x3c, 0x3d, 0x3e, 0x40, 0x65];

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return isAppletError(err) ? err.code : 'not an AppletError';
  }
  return undefined;
}

describe('GSM 7-bit default alphabet (TS 23.038 §6.2.1, §6.2.1.1)', () => {
  test('127 characters and 10 extension characters, each with its own septet(s)', () => {
    const basic = septetsToText(BASIC);
    expect([...basic]).toHaveLength(127);
    expect(new Set(basic).size).toBe(127);
    expect(gsm7Septets(basic)).toEqual(BASIC);
    const ext = septetsToText(EXTENSION.flatMap((e) => [GSM7_ESCAPE, e]));
    expect(ext).toBe('\f^{}\\[~]|€');
    expect(gsm7Septets(ext)).toEqual(EXTENSION.flatMap((e) => [GSM7_ESCAPE, e]));
  });

  test('the well-known positions', () => {
    expect(gsm7Septets('@£$¥')).toEqual([0, 1, 2, 3]);
    expect(gsm7Septets('Δ_ΦΓ')).toEqual([0x10, 0x11, 0x12, 0x13]);
    expect(gsm7Septets('¤¡§¿à')).toEqual([0x24, 0x40, 0x5f, 0x60, 0x7f]);
    expect(gsm7Septets('`')).toBeUndefined();
    expect(gsm7Septets('ą')).toBeUndefined();
  });

  test('round trip of any text over the alphabet', () => {
    const chars = [...septetsToText(BASIC), ...'^{}\\[~]|€'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...chars), { maxLength: 200 }), (list) => {
        const text = list.join('');
        const { septets, packed } = encodeGsm7(text);
        expect(decodeGsm7(packed, septets)).toBe(text);
      }),
    );
  });

  test('pack/unpack round trip of any septets', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 127 }), { maxLength: 300 }), (septets) => {
        const packed = packSeptets(septets);
        expect(packed.length).toBe(Math.ceil((septets.length * 7) / 8));
        expect(unpackSeptets(packed, septets.length)).toEqual(septets);
      }),
    );
  });

  test('strict decoding', () => {
    expect(code(() => decodeGsm7(packSeptets([0x41, GSM7_ESCAPE]), 2))).toBe('UNENCODABLE_TEXT');
    expect(code(() => decodeGsm7(packSeptets([GSM7_ESCAPE, 0x41]), 2))).toBe('UNENCODABLE_TEXT');
    expect(code(() => decodeGsm7(packSeptets([GSM7_ESCAPE, GSM7_ESCAPE]), 2))).toBe('UNENCODABLE_TEXT');
    expect(code(() => unpackSeptets(Buffer.from('31d98c56b3dd70', 'hex'), 7))).toBe('BAD_VALUE');
    expect(code(() => unpackSeptets(Buffer.from('e8329bfd4697d9ec37', 'hex'), 12))).toBe('BAD_LENGTH');
    expect(code(() => unpackSeptets(Buffer.from('e8329bfd4697d9ec37', 'hex'), 8))).toBe('BAD_LENGTH');
    expect(code(() => encodeGsm7('Zürich ą'))).toBe('UNENCODABLE_TEXT');
  });
});

test('septets outside 0-127 are refused, not dropped', () => {
  expect(code(() => septetsToText([0x41, 128]))).toBe('BAD_VALUE');
  expect(code(() => packSeptets([200]))).toBe('BAD_VALUE');
});
