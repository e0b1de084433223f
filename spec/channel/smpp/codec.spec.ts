import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  OPTIONS_TABLE_BEGIN,
  OPTIONS_TABLE_END,
  esmeOptionsMarkdown,
  COMMAND_STATUS,
  ESME_OPTION_DOCS,
  FrameGuard,
  SmppInvalidArgumentError,
  SmppMalformedPduError,
  SmppReceiptError,
  decodePdu,
  encodePdu,
  formatReceiptText,
  isBackoffStatus,
  messageIdVariants,
  parseDeliveryReceipt,
  parseReceiptText,
  resolveEsmeOptions,
  statusName,
  type FrameEvent,
  type PduInput,
  type SmPdu,
} from '../../../src/channel/smpp';

// The codec, the frame guard and the receipt parser on their own.

const sm = (extra: Partial<Omit<SmPdu, 'command'>> = {}): PduInput => ({
  command: 'submit_sm',
  sourceAddr: '12345',
  destinationAddr: '447700900001',
  shortMessage: Buffer.from('hi'),
  ...extra,
});

function frames(events: readonly FrameEvent[]): string[] {
  return events.flatMap((e) => (e.kind === 'frame' ? [e.frame.toString('hex')] : []));
}

describe('frame guard', () => {
  const pdus = fc.array(
    fc.record({ payload: fc.uint8Array({ maxLength: 254 }), seq: fc.integer({ min: 1, max: 0x7fffffff }) }).map(({ payload, seq }) => encodePdu(sm({ shortMessage: Buffer.from(payload) }), seq)),
    { minLength: 1, maxLength: 12 },
  );

  test('property: PDUs cut into any chunks come out whole and in order', () => {
    fc.assert(
      fc.property(pdus, fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }), (list, cuts) => {
        const stream = Buffer.concat(list);
        const guard = new FrameGuard({ maxFrameLength: 4096 });
        const out: FrameEvent[] = [];
        for (let at = 0, i = 0; at < stream.length; i += 1) {
          const size = cuts[i % cuts.length] ?? 1;
          out.push(...guard.push(stream.subarray(at, at + size)));
          at += size;
        }
        expect(frames(out)).toEqual(list.map((b) => b.toString('hex')));
      }),
      { numRuns: 200 },
    );
  });

  test('property: after text garbage, the PDUs behind it are found again', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[ -~]{1,80}$/), pdus, (garbage, list) => {
        const guard = new FrameGuard({ maxFrameLength: 4096 });
        const events = guard.push(Buffer.concat([Buffer.from(garbage, 'latin1'), ...list]));
        expect(events[0]).toMatchObject({ kind: 'invalid', recovery: 'resync' });
        expect(frames(events)).toEqual(list.map((b) => b.toString('hex')));
      }),
      { numRuns: 200 },
    );
  });

  test('a too-long PDU of a known command is skipped by its length without holding it in memory', () => {
    const guard = new FrameGuard({ maxFrameLength: 1024 });
    const big = Buffer.alloc(5000);
    big.writeUInt32BE(5000, 0);
    big.writeUInt32BE(0x04, 4);
    big.writeUInt32BE(9, 12);
    const next = encodePdu({ command: 'enquire_link' }, 10);
    const events = [...guard.push(big.subarray(0, 16)), ...guard.push(big.subarray(16, 3000)), ...guard.push(Buffer.concat([big.subarray(3000), next]))];
    expect(events).toEqual([
      { kind: 'invalid', reason: 'TOO_LONG', commandLength: 5000, commandId: 4, sequenceNumber: 9, recovery: 'skip' },
      { kind: 'frame', frame: next },
    ]);
    expect(guard.discardedOctets).toBe(5000);
  });

  test('a length under 16 is reported at once, even with fewer than 16 octets in hand', () => {
    const guard = new FrameGuard({ maxFrameLength: 1024 });
    expect(guard.push(Buffer.from([0, 0, 0, 3]))).toEqual([{ kind: 'invalid', reason: 'TOO_SHORT', commandLength: 3, commandId: undefined, sequenceNumber: 0, recovery: 'resync' }]);
    expect(frames(guard.push(encodePdu({ command: 'unbind' }, 4)))).toHaveLength(1);
  });
});

describe('codec', () => {
  test('a short_message over 254 octets is refused with a typed error, not the package crash', () => {
    expect(() => encodePdu(sm({ shortMessage: Buffer.alloc(255) }), 1)).toThrow(SmppInvalidArgumentError);
    expect(() => encodePdu(sm({ shortMessage: Buffer.alloc(300) }), 1)).toThrow(/longer than 254/);
  });

  test.each([
    ['a destination over 20 characters', sm({ destinationAddr: '1'.repeat(21) }), 'ESME_RINVDSTADR'],
    ['a non-ASCII source', sm({ sourceAddr: 'Zürich' }), 'ESME_RINVSRCADR'],
    ['a system_id over 15 characters', { command: 'bind_transceiver', systemId: 'x'.repeat(16) } as PduInput, 'ESME_RINVSYSID'],
    ['a priority_flag of 4', sm({ priorityFlag: 4 }), 'ESME_RSYSERR'],
  ])('%s is refused before encoding', (_what, input, status) => {
    let caught: unknown;
    try {
      encodePdu(input, 1);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SmppInvalidArgumentError);
    expect((caught as SmppInvalidArgumentError).statusName).toBe(status);
  });

  test('interface_version defaults to 0x34 on bind', () => {
    const pdu = decodePdu(encodePdu({ command: 'bind_transceiver', systemId: 'a' }, 1));
    expect(pdu).toMatchObject({ command: 'bind_transceiver', interfaceVersion: 0x34 });
  });

  test('responses with an empty body decode (several SMSCs send them)', () => {
    const head = (id: number): Buffer => Buffer.from(`00000010${id.toString(16).padStart(8, '0')}0000000000000007`, 'hex');
    expect(decodePdu(head(0x80000005))).toEqual({ command: 'deliver_sm_resp', messageId: '', commandStatus: 0, sequenceNumber: 7 });
    expect(decodePdu(head(0x80000009))).toMatchObject({ command: 'bind_transceiver_resp', systemId: '' });
  });

  test('a request missing mandatory fields is ESME_RINVCMDLEN', () => {
    const head = Buffer.from('00000010000000040000000000000007', 'hex');
    expect(() => decodePdu(head)).toThrow(SmppMalformedPduError);
  });

  test('unknown TLVs are kept; a known TLV of the wrong size and stray octets are refused with their status', () => {
    const base = encodePdu(sm(), 3);
    const withTlv = (tlv: string): Buffer => {
      const b = Buffer.concat([base, Buffer.from(tlv, 'hex')]);
      b.writeUInt32BE(b.length, 0);
      return b;
    };
    const decoded = decodePdu(withTlv('1400000301020304270001ff'));
    expect(decoded).toMatchObject({ otherTlvs: [{ tag: 0x1400, value: Buffer.from('010203', 'hex') }], tlvs: { messageState: 0xff } });
    const status = (hex: string): string => {
      try {
        decodePdu(withTlv(hex));
        return 'decoded';
      } catch (error) {
        return (error as SmppMalformedPduError).statusName;
      }
    };
    expect(status('0427000201ff')).toBe('ESME_RINVPARLEN');
    expect(status('04')).toBe('ESME_RINVOPTPARSTREAM');
    expect(status('1400000501')).toBe('ESME_RINVOPTPARSTREAM');
  });

  test('a receipted_message_id TLV without its NUL is read up to its own length', () => {
    const base = encodePdu({ command: 'deliver_sm', destinationAddr: '1', esmClass: 4 }, 3);
    const b = Buffer.concat([base, Buffer.from('001e0003616263', 'hex')]);
    b.writeUInt32BE(b.length, 0);
    expect(decodePdu(b)).toMatchObject({ tlvs: { receiptedMessageId: 'abc' } });
  });
});

describe('delivery receipts', () => {
  const receipt = (text: string, tlvs = {}) => parseDeliveryReceipt({ shortMessage: Buffer.from(text, 'latin1'), tlvs });

  test('the Appendix B text, with every field', () => {
    const r = receipt('id:0123456789 sub:001 dlvrd:001 submit date:2406011200 done date:240601120130 stat:DELIVRD err:000 text:Hello: world');
    expect(r).toMatchObject({ messageId: '0123456789', state: 'DELIVERED', final: true, submitted: 1, delivered: 1, err: '000', text: 'Hello: world', source: 'text' });
    expect(r.submitDate?.toISOString()).toBe('2024-06-01T12:00:00.000Z');
    expect(r.doneDate?.toISOString()).toBe('2024-06-01T12:01:30.000Z');
  });

  test('vendor spellings: upper-case keys, Text:, missing fields', () => {
    expect(receipt('ID:AB12 SUB:1 DLVRD:0 STAT:UNDELIV ERR:069 Text:x')).toMatchObject({ messageId: 'AB12', state: 'UNDELIVERABLE', err: '069', text: 'x' });
    expect(receipt('id:7 stat:EXPIRED')).toMatchObject({ messageId: '7', state: 'EXPIRED' });
  });

  test('the TLVs win over the text', () => {
    expect(receipt('id:1 stat:DELIVRD', { receiptedMessageId: 'abc', messageState: 5 })).toMatchObject({ messageId: 'abc', state: 'UNDELIVERABLE', source: 'tlv' });
  });

  test('no id or no state is a typed error', () => {
    expect(() => receipt('stat:DELIVRD')).toThrow(SmppReceiptError);
    expect(() => receipt('id:1 stat:WHATEVER')).toThrow(SmppReceiptError);
  });

  test('formatted and parsed back', () => {
    const text = formatReceiptText({ messageId: 'a1', state: 'REJECTED', submitDate: new Date(Date.UTC(2024, 0, 2, 3, 4)), doneDate: new Date(Date.UTC(2024, 0, 2, 3, 5)), err: 8, text: 'a rather long text beyond twenty' });
    expect(text).toBe('id:a1 sub:001 dlvrd:000 submit date:2401020304 done date:2401020305 stat:REJECTD err:008 text:a rather long text b');
    expect(parseReceiptText(text)).toMatchObject({ id: 'a1', stat: 'REJECTD', err: '008' });
  });

  test('message ids compare across hex and decimal spellings', () => {
    expect(messageIdVariants('255')).toContain('ff');
    expect(messageIdVariants('FF')).toEqual(expect.arrayContaining(['ff', '255']));
  });
});

describe('status table and options', () => {
  test('names and back-off classification', () => {
    expect(statusName(0x58)).toBe('ESME_RTHROTTLED');
    expect(statusName(0x400)).toBe('0x00000400');
    expect(isBackoffStatus(COMMAND_STATUS.ESME_RMSGQFUL.value)).toBe(true);
    expect(isBackoffStatus(COMMAND_STATUS.ESME_RINVDSTADR.value)).toBe(false);
  });

  test('options: defaults applied, wrong values fail naming the key, every key documented', () => {
    const o = resolveEsmeOptions({ host: 'smsc', port: 2775, systemId: 'p', password: 'x' });
    expect(o).toMatchObject({ window: 10, submitBurst: 10, responseTimeoutMs: 10_000, timeoutRetries: 0, concatReferenceBits: 8, name: 'p@smsc:2775' });
    expect(() => resolveEsmeOptions({ host: 'smsc', port: 2775, systemId: 'p', password: 'x', window: 0 })).toThrow(/window/);
    expect(() => resolveEsmeOptions({ host: 'smsc', port: 2775, systemId: 'p', password: 'too-long-pw' })).toThrow(/password/);
    expect(() => resolveEsmeOptions({ host: 'smsc', port: 2775, systemId: 'p', password: 'x', maxFrameLength: 100_000 })).toThrow(/maxFrameLength/);
    for (const key of Object.keys(o).filter((k) => k !== 'logger')) expect(ESME_OPTION_DOCS).toHaveProperty(key);
  });
});

test('README.md options table is the one generated from ESME_OPTION_DOCS', () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'src', 'channel', 'smpp', 'README.md'), 'utf8');
  const start = readme.indexOf(OPTIONS_TABLE_BEGIN);
  const end = readme.indexOf(OPTIONS_TABLE_END) + OPTIONS_TABLE_END.length;
  expect(readme.slice(start, end)).toBe(esmeOptionsMarkdown());
});
