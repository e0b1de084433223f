import fc from 'fast-check';
import {
  IEI,
  Reassembler,
  alphabetOf,
  capacity,
  concatInfo,
  encodeUdh,
  parseUserData,
  splitMessage,
  SmppUdhError,
  type InformationElement,
} from '../../../src/channel/smpp';
import { packetToUserData, userDataToPacket } from '../../../src/channel/ota';
import { captureLogger, silent } from './support';

// Concatenated SMS, 3GPP TS 23.040 §9.2.3.24.1 (IEI 0x00) and §9.2.3.24.8 (IEI 0x08), and its interplay
// with the TS 31.115 command packet identifier (IEI 0x70): first segment only.

const CMD: InformationElement = { iei: IEI.COMMAND_PACKET, data: Buffer.alloc(0) };

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i -= 1) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('alphabets and capacity', () => {
  test.each([
    [0x00, 'gsm7'],
    [0x01, 'gsm7'],
    [0x02, '8bit'],
    [0x03, '8bit'],
    [0x04, '8bit'],
    [0x08, 'ucs2'],
    [0x11, 'gsm7'],
    [0x15, '8bit'],
    [0x18, 'ucs2'],
    [0xf0, 'gsm7'],
    [0xf6, '8bit'],
  ] as const)('data_coding 0x%s is %s', (dc, alphabet) => {
    expect(alphabetOf(dc)).toBe(alphabet);
  });

  test('one SM holds 160 septets, 140 octets or 70 UCS-2 characters; a 6-octet header costs 7 septets', () => {
    expect(capacity('gsm7', 0)).toBe(160);
    expect(capacity('gsm7', 6)).toBe(153);
    expect(capacity('8bit', 6)).toBe(134);
    expect(capacity('ucs2', 6)).toBe(134);
    expect(capacity('ucs2', 7)).toBe(132);
  });
});

describe('splitting', () => {
  test('a payload that fits is one SM, header untouched', () => {
    const r = splitMessage({ payload: Buffer.alloc(137, 1), dataCoding: 0xf6, ies: [CMD], reference: 9 });
    expect(r.udhi).toBe(true);
    expect(r.segments).toHaveLength(1);
    expect(r.segments[0]?.subarray(0, 3).toString('hex')).toBe('027000');
  });

  test('TS 31.115 layout: concatenation IE first, 70 00 in the first segment only, 132 then 134 octets', () => {
    const packet = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
    const r = splitMessage({ payload: packet, dataCoding: 0xf6, ies: [CMD], reference: 0x2a });
    expect(r.segments.map((s, i) => s.subarray(0, i === 0 ? 8 : 6).toString('hex'))).toEqual(['0700032a03017000', '0500032a0302', '0500032a0303']);
    expect(r.segments.map((s) => s.length)).toEqual([140, 140, 6 + 300 - 132 - 134]);
    // The packet continues where the previous segment stopped: octet 132 (0x84), then octet 266 (0x0a).
    expect(r.segments.map((s, i) => s[i === 0 ? 8 : 6])).toEqual([0x00, 0x84, 0x0a]);
  });

  test('the same octets as the OTA codec (src/channel/ota) makes for a concatenated secured packet', () => {
    for (const length of [10, 137, 138, 300, 1000]) {
      const packet = Buffer.from(Array.from({ length }, (_, i) => (i * 13) & 0xff));
      const ours = splitMessage({ payload: packet, dataCoding: 0xf6, ies: [CMD], reference: 0x51 }).segments;
      expect(ours.map((b) => b.toString('hex'))).toEqual(packetToUserData(IEI.COMMAND_PACKET, packet, 0x51).map((b) => b.toString('hex')));
      expect(userDataToPacket(IEI.COMMAND_PACKET, ours).equals(packet)).toBe(true);
    }
  });

  test('16-bit references use IEI 0x08 and one octet less payload per segment', () => {
    const r = splitMessage({ payload: Buffer.alloc(300, 7), dataCoding: 0x04, reference: 0xbeef, referenceBits: 16 });
    expect(r.segments.map((s) => s.subarray(0, 7).toString('hex'))).toEqual(['060804beef0301', '060804beef0302', '060804beef0303']);
    expect(r.segments[0]?.length).toBe(140);
  });

  test('port addressing is repeated in every segment; other elements stay in the first', () => {
    const port: InformationElement = { iei: IEI.PORT_16, data: Buffer.from('0b840000', 'hex') };
    const other: InformationElement = { iei: 0x0a, data: Buffer.from('0001', 'hex') };
    const r = splitMessage({ payload: Buffer.alloc(400, 1), dataCoding: 0x04, ies: [port, other], reference: 1 });
    const headers = r.segments.map((s) => parseUserData(s).ies.map((ie) => ie.iei));
    expect(headers[0]).toEqual([IEI.CONCAT_8, IEI.PORT_16, 0x0a]);
    for (const h of headers.slice(1)) expect(h).toEqual([IEI.CONCAT_8, IEI.PORT_16]);
  });

  test('7-bit text: 153 characters a segment, never ending on a lone escape (0x1B)', () => {
    const text = Buffer.alloc(400, 0x41);
    text[152] = 0x1b; // '€' is 1B 65: the pair must not be split
    text[153] = 0x65;
    const r = splitMessage({ payload: text, dataCoding: 0x00, reference: 3 });
    const first = parseUserData(r.segments[0] as Buffer).payload;
    expect(first.length).toBe(152);
    expect(Buffer.concat(r.segments.map((s) => parseUserData(s).payload)).equals(text)).toBe(true);
  });

  test('UCS-2: a surrogate pair is never split between segments', () => {
    const s = 'a'.repeat(66) + '😀' + 'b'.repeat(80);
    const payload = Buffer.from(s, 'utf16le').swap16();
    const r = splitMessage({ payload, dataCoding: 0x08, reference: 4 });
    const parts = r.segments.map((seg) => parseUserData(seg).payload);
    for (const p of parts) expect(p.length % 2).toBe(0);
    expect(Buffer.from(parts[0] as Buffer).swap16().toString('utf16le')).toBe('a'.repeat(66));
    expect(Buffer.concat(parts).equals(payload)).toBe(true);
  });

  test('more than 255 segments is refused', () => {
    expect(() => splitMessage({ payload: Buffer.alloc(134 * 256), dataCoding: 0x04, reference: 1 })).toThrow(/255/);
  });
});

describe('reassembly', () => {
  test('property: any payload, any alphabet, both reference sizes, segments in any order → the same payload and header', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 2_000 }),
        fc.constantFrom(0x00, 0x04, 0x08, 0xf6),
        fc.constantFrom<8 | 16>(8, 16),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer(),
        (bytes, dataCoding, referenceBits, withCmd, reference, seed) => {
          const payload = Buffer.from(dataCoding === 0x08 && bytes.length % 2 === 1 ? bytes.subarray(1) : bytes);
          const ies = withCmd ? [CMD] : [];
          const { segments } = splitMessage({ payload, dataCoding, ies, reference, referenceBits });
          const r = new Reassembler<number>({ timeoutMs: 60_000, logger: silent() });
          let done;
          for (const [i, seg] of shuffle(segments.map((s, i) => [i, s] as const), seed)) {
            const ud = withCmd || segments.length > 1 ? parseUserData(seg) : { ies: [], headerOctets: 0, payload: seg };
            const out = r.push('447700900001|12345', ud, i);
            if (out !== undefined) done = out;
          }
          r.clear();
          expect(done?.payload.equals(payload)).toBe(true);
          expect(done?.ies).toEqual(ies);
          expect(done?.meta).toBe(0);
          expect(done?.segments).toBe(segments.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('an incomplete set is dropped after the timeout, with a log line', async () => {
    const { logger, lines } = captureLogger();
    const r = new Reassembler<null>({ timeoutMs: 50, logger });
    const { segments } = splitMessage({ payload: Buffer.alloc(500, 9), dataCoding: 0x04, reference: 77 });
    r.push('a|b', parseUserData(segments[0] as Buffer), null);
    r.push('a|b', parseUserData(segments[2] as Buffer), null);
    expect(r.pending).toBe(1);
    await new Promise((res) => setTimeout(res, 120));
    expect(r.pending).toBe(0);
    expect(r.dropped).toBe(1);
    const line = lines.find((l) => String(l.msg).includes('incomplete concatenated message dropped'));
    expect(line).toMatchObject({ level: 40, received: [1, 3], total: 4 });
    // A late segment starts a new set rather than completing the dropped one.
    expect(r.push('a|b', parseUserData(segments[1] as Buffer), null)).toBeUndefined();
    r.clear();
  });

  test('references from different senders never mix, and a duplicate segment is ignored', () => {
    const r = new Reassembler<string>({ timeoutMs: 60_000, logger: silent() });
    const a = splitMessage({ payload: Buffer.alloc(200, 0xaa), dataCoding: 0x04, reference: 5 }).segments;
    const b = splitMessage({ payload: Buffer.alloc(200, 0xbb), dataCoding: 0x04, reference: 5 }).segments;
    expect(r.push('A|x', parseUserData(a[0] as Buffer), 'a')).toBeUndefined();
    expect(r.push('B|x', parseUserData(b[1] as Buffer), 'b')).toBeUndefined();
    expect(r.push('A|x', parseUserData(a[0] as Buffer), 'a')).toBeUndefined();
    expect(r.push('A|x', parseUserData(a[1] as Buffer), 'a')?.payload.equals(Buffer.alloc(200, 0xaa))).toBe(true);
    expect(r.push('B|x', parseUserData(b[0] as Buffer), 'b')?.payload.equals(Buffer.alloc(200, 0xbb))).toBe(true);
  });

  test('TS 23.040: a concatenation IE with sequence 0 or above the total is ignored, the SM taken alone', () => {
    expect(concatInfo([{ iei: 0x00, data: Buffer.from([1, 3, 0]) }])).toBeUndefined();
    expect(concatInfo([{ iei: 0x00, data: Buffer.from([1, 3, 4]) }])).toBeUndefined();
    expect(concatInfo([{ iei: 0x00, data: Buffer.from([1, 0, 0]) }])).toBeUndefined();
    const r = new Reassembler<null>({ timeoutMs: 1_000, logger: silent() });
    const sm = Buffer.concat([encodeUdh([{ iei: 0x00, data: Buffer.from([1, 2, 3]) }]), Buffer.from('alone')]);
    expect(r.push('x|y', parseUserData(sm), null)?.payload.toString()).toBe('alone');
  });

  test('a UDH that overruns its SM is a typed error', () => {
    expect(() => parseUserData(Buffer.from('0570', 'hex'))).toThrow(SmppUdhError);
    expect(() => parseUserData(Buffer.from('037005aa', 'hex'))).toThrow(SmppUdhError);
    expect(() => parseUserData(Buffer.alloc(0))).toThrow(SmppUdhError);
  });
});
