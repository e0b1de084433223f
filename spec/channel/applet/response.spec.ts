import fc from 'fast-check';
import {
  MAX_SIGNATURE_OCTETS,
  OUTCOMES,
  checkResponseMatches,
  decodeResponse,
  encodeResponse,
  isAppletError,
  type AppletRequest,
  type AppletResponse,
  type Outcome,
} from '../../../src/channel/applet';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return isAppletError(err) ? err.code : 'not an AppletError';
  }
  return undefined;
}

const REF = Buffer.from('0102', 'hex');
const SIGNED: AppletResponse = { transactionRef: REF, outcome: 'signed', signature: { format: 'cms', value: Buffer.alloc(1800, 0x30) }, certificateRef: Buffer.alloc(32, 0xab) };

const responseArb: fc.Arbitrary<AppletResponse> = fc.oneof(
  fc.record({
    transactionRef: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    outcome: fc.constant('signed' as const),
    signature: fc.record({ format: fc.constantFrom('raw' as const, 'cms' as const), value: fc.uint8Array({ minLength: 1, maxLength: MAX_SIGNATURE_OCTETS }) }),
    certificateRef: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  }),
  fc.record({
    transactionRef: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    outcome: fc.constantFrom(...(Object.keys(OUTCOMES).filter((o) => o !== 'signed') as Exclude<Outcome, 'signed'>[])),
  }),
);

/** Buffers and Uint8Arrays as hex, so a decoded Buffer equals the Uint8Array it came from. */
function hexify(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hexify(x)]));
  return v;
}

describe('response, format v1 (FORMAT.md)', () => {
  test('round trip of any valid response; canonical', () => {
    fc.assert(
      fc.property(responseArb, (res) => {
        const bytes = encodeResponse(res);
        const back = decodeResponse(bytes);
        expect(hexify(back)).toEqual(hexify(res));
        expect(encodeResponse(back).equals(bytes)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  test('a signed response needs its signature and certificate reference; the others may not carry them', () => {
    const signed = encodeResponse(SIGNED);
    const cancelled = encodeResponse({ transactionRef: REF, outcome: 'user-cancelled' });
    expect(code(() => decodeResponse(Buffer.concat([cancelled, Buffer.from('0b020101', 'hex')])))).toBe('FORBIDDEN_FIELD');
    const noCert = signed.subarray(0, signed.length - 35);
    expect(code(() => decodeResponse(noCert))).toBe('MISSING_FIELD');
    expect(code(() => encodeResponse({ ...SIGNED, certificateRef: Buffer.alloc(20) }))).toBe('BAD_VALUE');
    expect(code(() => encodeResponse({ ...SIGNED, signature: { format: 'raw', value: Buffer.alloc(MAX_SIGNATURE_OCTETS + 1) } }))).toBe('BAD_VALUE');
    expect(code(() => decodeResponse(Buffer.from('01020101010a0107', 'hex')))).toBe('BAD_VALUE');
    expect(code(() => decodeResponse(Buffer.from('01010101010a0101', 'hex')))).toBe('BAD_TYPE');
  });

  test('matching the request', () => {
    const sign = { transactionRef: REF, operation: 'sign', displayText: 'x', toBeSigned: { kind: 'data', data: Buffer.from('d') }, keyReference: 'signing', algorithm: 'rsa-pkcs1-sha256', signatureFormat: 'cms' } as const satisfies AppletRequest;
    const receipt = { transactionRef: REF, operation: 'show-receipt', displayText: 'x' } as const satisfies AppletRequest;
    expect(code(() => checkResponseMatches(sign, SIGNED))).toBeUndefined();
    expect(code(() => checkResponseMatches(sign, { transactionRef: REF, outcome: 'pin-blocked' }))).toBeUndefined();
    expect(code(() => checkResponseMatches(sign, { ...SIGNED, transactionRef: Buffer.from('0103', 'hex') }))).toBe('MISMATCH');
    expect(code(() => checkResponseMatches({ ...sign, signatureFormat: 'raw' }, SIGNED))).toBe('MISMATCH');
    expect(code(() => checkResponseMatches(sign, { transactionRef: REF, outcome: 'displayed' }))).toBe('MISMATCH');
    expect(code(() => checkResponseMatches(receipt, { transactionRef: REF, outcome: 'displayed' }))).toBeUndefined();
    expect(code(() => checkResponseMatches(receipt, SIGNED))).toBe('MISMATCH');
  });

  test('any bytes: a response or an AppletError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(code(() => decodeResponse(bytes))).not.toBe('not an AppletError');
      }),
      { numRuns: 2000 },
    );
  });
});
