import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import {
  HASH_ALGORITHMS,
  OPERATIONS,
  SIGNATURE_ALGORITHMS,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  isAppletError,
  type AppletRequest,
  type SigningRequest,
} from '../../../src/channel/applet';

const REF = Buffer.from('4d5353500004d2', 'hex');

const SIGN: SigningRequest = {
  transactionRef: REF,
  operation: 'sign',
  displayText: 'Sign contract 2024-117 for the Tax Office?',
  verificationCode: '7Q4K',
  toBeSigned: { kind: 'hash', algorithm: 'sha-256', digest: createHash('sha256').update('contract 2024-117').digest() },
  keyReference: 'signing',
  algorithm: 'rsa-pkcs1-sha256',
  signatureFormat: 'cms',
};

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return isAppletError(err) ? err.code : 'not an AppletError';
  }
  return undefined;
}

/** The hex blocks of FORMAT.md, by name: the document and the code cannot drift apart. */
function formatExamples(): Map<string, Buffer> {
  const md = readFileSync(resolve(__dirname, '../../../src/channel/applet/FORMAT.md'), 'utf8');
  const out = new Map<string, Buffer>();
  for (const m of md.matchAll(/```hex ([a-z-]+)\n([\s\S]*?)```/g)) out.set(m[1]!, Buffer.from(m[2]!.replace(/\s+/g, ''), 'hex'));
  return out;
}

const printable = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:;?!-+€[]ÄÖÜäöüß'.split('')), minLength: 1, maxLength: 70 });
const ucs2 = fc.string({ unit: fc.constantFrom(...'Платёж принят 12,50 € ΑΒΓ中文ąęłśż'.split('')), minLength: 1, maxLength: 70 });

const signingArb: fc.Arbitrary<AppletRequest> = fc
  .record({
    transactionRef: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    operation: fc.constantFrom('authenticate', 'sign', 'payment-approval'),
    displayText: fc.oneof(printable, ucs2),
    verificationCode: fc.option(fc.stringMatching(/^[0-9A-Z]{4,8}$/), { nil: undefined }),
    algorithm: fc.constantFrom(...(Object.keys(SIGNATURE_ALGORITHMS) as (keyof typeof SIGNATURE_ALGORITHMS)[])),
    data: fc.option(fc.uint8Array({ minLength: 1, maxLength: 512 }), { nil: undefined }),
    signatureFormat: fc.constantFrom('raw', 'cms'),
  })
  .map((r) => {
    const hash = SIGNATURE_ALGORITHMS[r.algorithm].hash;
    return {
      transactionRef: r.transactionRef,
      operation: r.operation,
      displayText: r.displayText,
      ...(r.verificationCode === undefined ? {} : { verificationCode: r.verificationCode }),
      toBeSigned: r.data === undefined ? { kind: 'hash', algorithm: hash, digest: Buffer.alloc(HASH_ALGORITHMS[hash].length, 7) } : { kind: 'data', data: r.data },
      keyReference: OPERATIONS[r.operation].key,
      algorithm: r.algorithm,
      signatureFormat: r.signatureFormat,
    } as const;
  });

const receiptArb: fc.Arbitrary<AppletRequest> = fc.record({
  transactionRef: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  operation: fc.constant('show-receipt' as const),
  displayText: fc.oneof(printable, ucs2),
});

/** Buffers and Uint8Arrays as hex, absent optional fields dropped, the decoder's textCoding ignored. */
function normal(req: AppletRequest): unknown {
  const walk = (v: unknown): unknown => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk({ ...req, textCoding: undefined });
}

describe('request, format v1 (FORMAT.md)', () => {
  test('the examples of FORMAT.md, byte for byte', () => {
    const ex = formatExamples();
    expect([...ex.keys()].sort()).toEqual(['order-example', 'request-receipt', 'request-sign', 'response-cancelled']);
    expect(encodeRequest(SIGN).toString('hex')).toBe(ex.get('request-sign')?.toString('hex'));
    expect(decodeRequest(ex.get('request-sign')!)).toMatchObject({ ...SIGN, textCoding: 'gsm7' });
    const receipt = { transactionRef: Buffer.from([1]), operation: 'show-receipt', displayText: 'Платёж 12,50 € принят' } as const;
    expect(encodeRequest(receipt).toString('hex')).toBe(ex.get('request-receipt')?.toString('hex'));
    expect(decodeRequest(ex.get('request-receipt')!)).toMatchObject({ ...receipt, textCoding: 'ucs2' });
    expect(decodeResponse(ex.get('response-cancelled')!)).toMatchObject({ transactionRef: REF, outcome: 'user-cancelled' });
  });

  test('round trip of any valid request; the encoding is canonical', () => {
    fc.assert(
      fc.property(fc.oneof(signingArb, receiptArb), (req) => {
        const bytes = encodeRequest(req);
        const back = decodeRequest(bytes);
        expect(normal(back)).toEqual(normal(req));
        expect(encodeRequest(back).equals(bytes)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('display limits: 160 septets / 70 UCS-2 characters, lower per SIM', () => {
    expect(code(() => encodeRequest({ ...SIGN, displayText: 'x'.repeat(160) }))).toBeUndefined();
    expect(code(() => encodeRequest({ ...SIGN, displayText: 'x'.repeat(161) }))).toBe('TEXT_TOO_LONG');
    expect(code(() => encodeRequest({ ...SIGN, displayText: '€'.repeat(81) }))).toBe('TEXT_TOO_LONG');
    expect(code(() => encodeRequest({ ...SIGN, displayText: 'я'.repeat(70) }))).toBeUndefined();
    expect(code(() => encodeRequest({ ...SIGN, displayText: 'я'.repeat(71) }))).toBe('TEXT_TOO_LONG');
    expect(code(() => encodeRequest({ ...SIGN, displayText: 'x'.repeat(100) }, { displayLimits: { gsm7Septets: 80, ucs2Chars: 35 } }))).toBe('TEXT_TOO_LONG');
    const long = encodeRequest({ ...SIGN, displayText: 'x'.repeat(100) });
    expect(code(() => decodeRequest(long, { displayLimits: { gsm7Septets: 80, ucs2Chars: 35 } }))).toBe('TEXT_TOO_LONG');
    expect(code(() => encodeRequest({ ...SIGN, displayText: 'x' }, { displayLimits: { gsm7Septets: 200, ucs2Chars: 70 } }))).toBe('BAD_VALUE');
  });

  test('text that could hide something is refused', () => {
    for (const t of ['a\u0007b', 'pay \u202e001 ot', 'a\u200bb', 'page\fbreak', '\u0000', '', 'emoji 😀']) {
      expect(code(() => encodeRequest({ ...SIGN, displayText: t }))).toMatch(/UNENCODABLE_TEXT|BAD_VALUE/);
    }
    expect(code(() => encodeRequest({ ...SIGN, displayText: 'line one\nline two\r\n' }))).toBeUndefined();
    expect(code(() => encodeRequest({ ...SIGN, displayText: 'Zürich', textCoding: 'gsm7' }))).toBeUndefined();
    expect(code(() => encodeRequest({ ...SIGN, displayText: 'Łódź', textCoding: 'gsm7' }))).toBe('UNENCODABLE_TEXT');
  });

  test('consistency rules', () => {
    expect(code(() => encodeRequest({ ...SIGN, keyReference: 'authentication' }))).toBe('BAD_VALUE');
    expect(code(() => encodeRequest({ ...SIGN, operation: 'authenticate' }))).toBe('BAD_VALUE');
    expect(code(() => encodeRequest({ ...SIGN, algorithm: 'ecdsa-p384-sha384' }))).toBe('BAD_VALUE');
    expect(code(() => encodeRequest({ ...SIGN, toBeSigned: { kind: 'hash', algorithm: 'sha-256', digest: Buffer.alloc(31) } }))).toBe('BAD_VALUE');
    expect(code(() => encodeRequest({ ...SIGN, toBeSigned: { kind: 'data', data: Buffer.alloc(513) } }))).toBe('BAD_VALUE');
    expect(code(() => encodeRequest({ ...SIGN, verificationCode: '7q4k' }))).toBe('BAD_VALUE');
    expect(code(() => encodeRequest({ ...SIGN, transactionRef: Buffer.alloc(17) }))).toBe('BAD_VALUE');
    expect(code(() => encodeRequest({ ...SIGN, transactionRef: Buffer.alloc(0) }))).toBe('BAD_VALUE');
  });

  describe('decoding refuses anything but the one encoding', () => {
    const good = encodeRequest(SIGN);
    const edit = (f: (b: Buffer) => Buffer): Buffer => f(Buffer.from(good));
    test.each([
      ['version 2', edit((b) => ((b[0] = 2), b)), 'BAD_VERSION'],
      ['a response', edit((b) => ((b[1] = 2), b)), 'BAD_TYPE'],
      ['empty', Buffer.alloc(0), 'TRUNCATED'],
      ['cut in a field', good.subarray(0, good.length - 1), 'TRUNCATED'],
      ['trailing octet', Buffer.concat([good, Buffer.from([0x0a])]), 'UNKNOWN_TAG'],
      ['a repeated field', Buffer.concat([good, Buffer.from('090102', 'hex')]), 'TAG_ORDER'],
      ['non-minimal length', Buffer.from('010101810101', 'hex'), 'BAD_LENGTH'],
      ['indefinite length', Buffer.from('01010180', 'hex'), 'BAD_LENGTH'],
      ['no display text', Buffer.from('0101010101020102070102080101090102', 'hex'), 'MISSING_FIELD'],
      ['unknown operation', edit((b) => ((b[good.indexOf(Buffer.from('020102', 'hex')) + 2] = 9), b)), 'BAD_VALUE'],
    ] as const)('%s', (_name, bytes, expected) => {
      expect(code(() => decodeRequest(bytes))).toBe(expected);
    });

    test('show receipt with signing fields', () => {
      const receipt = encodeRequest({ transactionRef: Buffer.from([1]), operation: 'show-receipt', displayText: 'ok' });
      expect(code(() => decodeRequest(Buffer.concat([receipt, Buffer.from('070102', 'hex')])))).toBe('FORBIDDEN_FIELD');
    });

    test('both data and hash, or neither', () => {
      const both = encodeRequest({ ...SIGN, toBeSigned: { kind: 'data', data: Buffer.from('x') } });
      const at = both.indexOf(Buffer.from('070102', 'hex'));
      const withHash = Buffer.concat([both.subarray(0, at), Buffer.from('062101', 'hex'), Buffer.alloc(32), both.subarray(at)]);
      expect(code(() => decodeRequest(withHash))).toBe('FORBIDDEN_FIELD');
      const start = good.indexOf(Buffer.from('0621', 'hex'));
      expect(code(() => decodeRequest(Buffer.concat([good.subarray(0, start), good.subarray(start + 35)])))).toBe('MISSING_FIELD');
    });

    test('any bytes: a request or an AppletError, never anything else', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          expect(code(() => decodeRequest(bytes))).not.toBe('not an AppletError');
          const mutated = Buffer.from(good);
          if (bytes.length > 1) mutated[(bytes[0] ?? 0) % mutated.length] = bytes[1] ?? 0;
          expect(code(() => decodeRequest(mutated))).not.toBe('not an AppletError');
        }),
        { numRuns: 2000 },
      );
    });
  });
});
