import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodePdu, encodePdu, type PduInput, type SmTlvs } from '../../../src/channel/smpp';
import { ROOT, scratchDir } from './support';

// Golden vectors packed by libsmpp34 (fixtures/smpp/README.md): our encoder must produce the same octets
// and our parser must read the same fields. Then the other way round: PDUs our encoder makes from random
// fields are unpacked and packed again by libsmpp34, which must give back the very same octets.

interface Vector {
  readonly name: string;
  readonly spec: string;
  readonly sequenceNumber: number;
  readonly commandStatus: number;
  readonly pdu: PduInput;
  readonly hex: string;
}

/** JSON → values: {hex} / {text} / {sequence} stand for Buffers. */
function revive(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const v = value as Record<string, unknown>;
  if (typeof v.hex === 'string' && Object.keys(v).length === 1) return Buffer.from(v.hex, 'hex');
  if (typeof v.text === 'string' && Object.keys(v).length === 1) return Buffer.from(v.text, 'latin1');
  const seq = v.sequence as { length: number; step: number } | undefined;
  if (seq !== undefined && Object.keys(v).length === 1) return Buffer.from(Array.from({ length: seq.length }, (_, i) => (i * seq.step) & 0xff));
  return value;
}

const FIXTURE = join(ROOT, 'fixtures', 'smpp', 'libsmpp34-vectors.json');
const vectors = (JSON.parse(readFileSync(FIXTURE, 'utf8'), revive) as { vectors: Vector[] }).vectors;

describe('libsmpp34 golden vectors', () => {
  test.each(vectors.map((v) => [v.name, v] as const))('%s: our encoder writes the same octets', (_name, v) => {
    expect(encodePdu(v.pdu, v.sequenceNumber, v.commandStatus).toString('hex')).toBe(v.hex);
  });

  test.each(vectors.map((v) => [v.name, v] as const))('%s: our parser reads the same fields', (_name, v) => {
    const decoded = decodePdu(Buffer.from(v.hex, 'hex'));
    expect(decoded).toMatchObject({ ...v.pdu, sequenceNumber: v.sequenceNumber, commandStatus: v.commandStatus });
    if (decoded.command === 'submit_sm' || decoded.command === 'deliver_sm') expect(decoded.otherTlvs).toEqual([]);
  });
});

// scripts/setup.sh installs gcc and libsmpp34-dev; their absence is a failure, not a skip.
const withLibsmpp34 = describe;

withLibsmpp34('against libsmpp34 itself (compiled here)', () => {
  let golden: string;

  beforeAll(() => {
    golden = join(scratchDir('libsmpp34'), 'golden');
    execFileSync('gcc', ['-Wall', '-Werror', '-o', golden, join(ROOT, 'fixtures', 'smpp', 'libsmpp34-golden.c'), '-lsmpp34']);
  });

  test('the stored hex is exactly what libsmpp34 packs today', () => {
    const lines = execFileSync(golden, { encoding: 'utf8' }).trim().split('\n');
    const packed = new Map(lines.map((l) => l.split(' ') as [string, string]));
    for (const v of vectors) expect(packed.get(v.name)).toBe(v.hex);
  });

  const address = fc.stringMatching(/^[0-9]{0,20}$/);
  const tlvs: fc.Arbitrary<SmTlvs> = fc.record(
    {
      userMessageReference: fc.integer({ min: 0, max: 0xffff }),
      sarMsgRefNum: fc.integer({ min: 0, max: 0xffff }),
      sarTotalSegments: fc.integer({ min: 1, max: 255 }),
      sarSegmentSeqnum: fc.integer({ min: 1, max: 255 }),
      sourcePort: fc.integer({ min: 0, max: 0xffff }),
      destinationPort: fc.integer({ min: 0, max: 0xffff }),
      payloadType: fc.integer({ min: 0, max: 1 }),
      messagePayload: fc.uint8Array({ maxLength: 1024 }).map((a) => Buffer.from(a)),
    },
    { requiredKeys: [] },
  );
  const submit: fc.Arbitrary<PduInput> = fc.record({
    command: fc.constant('submit_sm' as const),
    serviceType: fc.constantFrom('', 'CMT', 'WAP'),
    sourceAddrTon: fc.integer({ min: 0, max: 6 }),
    sourceAddrNpi: fc.constantFrom(0, 1, 3, 4, 6, 8, 9, 10, 14, 18),
    sourceAddr: address,
    destAddrTon: fc.integer({ min: 0, max: 6 }),
    destAddrNpi: fc.constantFrom(0, 1, 3, 4, 6, 8, 9, 10, 14, 18),
    destinationAddr: address,
    esmClass: fc.constantFrom(0, 0x03, 0x40, 0x43, 0x80),
    protocolId: fc.integer({ min: 0, max: 255 }),
    priorityFlag: fc.integer({ min: 0, max: 3 }),
    scheduleDeliveryTime: fc.constantFrom('', '240601120000000+', '000001000000000R'),
    validityPeriod: fc.constantFrom('', '240602120000004-', '000000010000000R'),
    registeredDelivery: fc.integer({ min: 0, max: 0x1f }),
    replaceIfPresentFlag: fc.integer({ min: 0, max: 1 }),
    dataCoding: fc.integer({ min: 0, max: 255 }),
    smDefaultMsgId: fc.integer({ min: 0, max: 254 }),
    shortMessage: fc.uint8Array({ maxLength: 254 }).map((a) => Buffer.from(a)),
    tlvs,
  });

  test('libsmpp34 unpacks and repacks 300 random submit_sm of ours to the same octets', () => {
    const samples = fc.sample(submit, { numRuns: 300, seed: 20_240_601 });
    const hexes = samples.map((p, i) => encodePdu(p, i + 1).toString('hex'));
    const out = execFileSync(golden, ['roundtrip', ...hexes], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim().split('\n');
    expect(out).toHaveLength(hexes.length);
    out.forEach((line, i) => expect(line).toBe(`ok ${hexes[i] ?? ''}`));
    // And our parser agrees with what it encoded.
    samples.forEach((p, i) => expect(decodePdu(Buffer.from(hexes[i] ?? '', 'hex'))).toMatchObject({ ...p, sequenceNumber: i + 1 }));
  });

  test('libsmpp34 unpacks and repacks our bind, deliver_sm receipt and responses to the same octets', () => {
    const ours = [
      encodePdu({ command: 'bind_transceiver', systemId: 'platform', password: 'secret', interfaceVersion: 0x34 }, 1),
      encodePdu({ command: 'bind_transceiver_resp', systemId: 'HSMSIM', scInterfaceVersion: 0x34 }, 1),
      encodePdu({ command: 'deliver_sm', sourceAddr: '447700900001', destinationAddr: '12345', esmClass: 4, shortMessage: Buffer.from('id:1 stat:DELIVRD'), tlvs: { receiptedMessageId: '1', messageState: 2 } }, 3),
      encodePdu({ command: 'submit_sm_resp', messageId: 'abc' }, 4),
      encodePdu({ command: 'deliver_sm_resp', messageId: '' }, 5),
      encodePdu({ command: 'generic_nack' }, 6, 2),
    ].map((b) => b.toString('hex'));
    const out = execFileSync(golden, ['roundtrip', ...ours], { encoding: 'utf8' }).trim().split('\n');
    out.forEach((line, i) => expect(line).toBe(`ok ${ours[i] ?? ''}`));
  });
});
