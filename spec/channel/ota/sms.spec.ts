import fc from 'fast-check';
import { IEI_COMMAND_PACKET, IEI_RESPONSE_PACKET, isOtaError, packetToUserData, parseUserDataHeader, userDataToPacket } from '../../../src/channel/ota';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return isOtaError(err) ? err.code : 'not an OtaError';
  }
  return undefined;
}

describe('secured packets in SMS TP-UD (TS 31.115 §4.2, TS 23.040 §9.2.3.24)', () => {
  test("one SM: '02 70 00' then the packet, up to 137 octets", () => {
    const ud = packetToUserData(IEI_COMMAND_PACKET, Buffer.alloc(137, 1));
    expect(ud).toHaveLength(1);
    expect(ud[0]?.subarray(0, 3).toString('hex')).toBe('027000');
    expect(packetToUserData(IEI_COMMAND_PACKET, Buffer.alloc(138, 1))).toHaveLength(2);
  });

  test("concatenated: first SM '07 00 03 ref n 01 70 00', then '05 00 03 ref n i'", () => {
    const ud = packetToUserData(IEI_RESPONSE_PACKET, Buffer.alloc(300, 2), 0x42);
    expect(ud.map((u) => u.subarray(0, u[0]! + 1).toString('hex'))).toEqual(['0700034203017100', '050003420302', '050003420303']);
    expect(ud.every((u) => u.length <= 140)).toBe(true);
  });

  test('round trip, any packet size and segment order', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat({ max: 255 }), fc.boolean(), (packet, ref, reverse) => {
        const ud = packetToUserData(IEI_COMMAND_PACKET, packet, ref);
        expect(userDataToPacket(IEI_COMMAND_PACKET, reverse ? [...ud].reverse() : ud).equals(Buffer.from(packet))).toBe(true);
      }),
    );
  });

  test('gaps, duplicates, mixed references and the wrong identifier are refused', () => {
    const ud = packetToUserData(IEI_COMMAND_PACKET, Buffer.alloc(300, 3), 1);
    const other = packetToUserData(IEI_COMMAND_PACKET, Buffer.alloc(300, 3), 2);
    expect(code(() => userDataToPacket(IEI_COMMAND_PACKET, ud.slice(0, 2)))).toBe('MALFORMED');
    expect(code(() => userDataToPacket(IEI_COMMAND_PACKET, [ud[0]!, ud[1]!, ud[1]!]))).toBe('MALFORMED');
    expect(code(() => userDataToPacket(IEI_COMMAND_PACKET, [ud[0]!, ud[1]!, other[2]!]))).toBe('MALFORMED');
    expect(code(() => userDataToPacket(IEI_RESPONSE_PACKET, ud))).toBe('MALFORMED');
    expect(code(() => userDataToPacket(IEI_COMMAND_PACKET, [Buffer.from('02700100', 'hex')]))).toBe('MALFORMED');
  });

  test('unknown IEs are skipped; the 16-bit concatenation IE is understood', () => {
    expect(parseUserDataHeader(Buffer.from('05240101700000ff', 'hex'))).toEqual({ packetIei: 0x70, concat: undefined, length: 6 });
    expect(parseUserDataHeader(Buffer.from('060804123402017000', 'hex')).concat).toEqual({ ref: 0x1234, total: 2, seq: 1 });
  });

  test('any bytes: a typed error or a header, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 160 }), (bytes) => {
        expect(code(() => userDataToPacket(IEI_COMMAND_PACKET, [bytes]))).not.toBe('not an OtaError');
      }),
      { numRuns: 2000 },
    );
  });
});
