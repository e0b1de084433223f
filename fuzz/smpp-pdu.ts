import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ESM_CLASS,
  FrameGuard,
  decodePdu,
  encodePdu,
  isDeliveryReceipt,
  isSmppError,
  parseDeliveryReceipt,
  parseUserData,
  type PduInput,
} from '../src/channel/smpp';
import { prng } from './lib/prng';

/**
 * Fuzz target for the SMPP parser: mutated PDUs (from the libsmpp34 golden vectors and from PDUs our
 * encoder makes) fed through the frame guard in random chunks, each frame into decodePdu, and the
 * short_message of every decoded submit_sm / deliver_sm into the UDH and receipt parsers.
 * A crash is anything thrown that is not one of our typed SmppErrors; a hang is an input that takes
 * longer than HANG_MS (the parsers are synchronous, so it is measured, not interrupted).
 *
 *   node -r @swc-node/register fuzz/smpp-pdu.ts [iterations] [seed]
 *
 * prints one JSON line {"fuzz":"smpp-pdu","iterations":…,"crashes":…,"hangs":…,"ms":…} and exits non-zero
 * on any crash or hang.
 */

const HANG_MS = 1_000;
const MAX_FRAME = 4_096;

export interface FuzzReport {
  readonly fuzz: 'smpp-pdu';
  readonly iterations: number;
  readonly crashes: number;
  readonly hangs: number;
  readonly ms: number;
  readonly seed: number;
  /** Frames the guard delivered and decodePdu accepted: shows the mutations keep reaching the decoder. */
  readonly decoded: number;
  readonly rejected: number;
}

export interface FuzzFinding {
  readonly kind: 'crash' | 'hang';
  readonly input: string;
  readonly error: string;
}


function goldenSeeds(): Buffer[] {
  const file = join(__dirname, '..', 'fixtures', 'smpp', 'libsmpp34-vectors.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { vectors: { hex: string }[] };
  return doc.vectors.map((v) => Buffer.from(v.hex, 'hex'));
}

function generatedSeeds(rand: () => number): Buffer[] {
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  const inputs: PduInput[] = [
    { command: 'bind_receiver', systemId: 'esme', password: 'pw', systemType: 'VMA', interfaceVersion: 0x33 },
    { command: 'bind_transmitter_resp', systemId: 'SMSC', scInterfaceVersion: 0x34 },
    { command: 'submit_sm', sourceAddr: '12345', destinationAddr: '447700900001', esmClass: ESM_CLASS.UDHI, dataCoding: 0xf6, shortMessage: Buffer.concat([Buffer.from('0500030a0201', 'hex'), bytes(120)]) },
    { command: 'deliver_sm', sourceAddr: '447700900001', destinationAddr: '12345', esmClass: ESM_CLASS.UDHI, dataCoding: 0x08, shortMessage: Buffer.concat([Buffer.from('060804beef0302', 'hex'), bytes(60)]) },
    {
      command: 'deliver_sm',
      sourceAddr: '447700900001',
      destinationAddr: 'MSSP',
      esmClass: ESM_CLASS.TYPE_DELIVERY_RECEIPT,
      shortMessage: Buffer.from('id:abc sub:001 dlvrd:001 submit date:2406011200 done date:2406011201 stat:DELIVRD err:000 text:', 'latin1'),
      tlvs: { receiptedMessageId: 'abc', messageState: 2, networkErrorCode: Buffer.from('030001', 'hex') },
    },
    { command: 'submit_sm', destinationAddr: '1', tlvs: { messagePayload: bytes(500), sarMsgRefNum: 7, sarTotalSegments: 2, sarSegmentSeqnum: 1, sourcePort: 9200, destinationPort: 2948 } },
    { command: 'submit_sm_resp', messageId: 'ffffffffffffffff' },
    { command: 'unbind_resp' },
  ];
  return inputs.map((input, i) => encodePdu(input, i + 1));
}

/** One mutation of a PDU: the kinds of damage a network, a buggy peer or an attacker produce. */
function mutate(seed: Buffer, other: Buffer, rand: () => number): Buffer {
  const b = Buffer.from(seed);
  const at = (n: number): number => Math.floor(rand() * Math.max(1, n));
  const rounds = 1 + at(4);
  let out = b;
  for (let r = 0; r < rounds; r += 1) {
    switch (at(10)) {
      case 0: // flip a bit
        if (out.length > 0) {
          const i = at(out.length);
          out[i] = (out[i] ?? 0) ^ (1 << at(8));
        }
        break;
      case 1: // set a byte to an edge value
        if (out.length > 0) out[at(out.length)] = [0x00, 0x01, 0x7f, 0x80, 0xff][at(5)] ?? 0;
        break;
      case 2: // rewrite command_length
        if (out.length >= 4) out.writeUInt32BE([0, 4, 15, 16, out.length - 1, out.length + 1, MAX_FRAME, MAX_FRAME + 1, 0x7fffffff, 0xffffffff, at(70_000)][at(11)] ?? 0, 0);
        break;
      case 3: // rewrite command_id
        if (out.length >= 8) out.writeUInt32BE([0x04, 0x05, 0x09, 0x80000004, 0x80000000, 0x15, 0x103, at(0x100000)][at(8)] ?? 0, 4);
        break;
      case 4: // truncate
        out = out.subarray(0, at(out.length + 1));
        break;
      case 5: // insert random octets
        {
          const p = at(out.length + 1);
          out = Buffer.concat([out.subarray(0, p), Buffer.from(Array.from({ length: 1 + at(32) }, () => at(256))), out.subarray(p)]);
        }
        break;
      case 6: // delete a range
        {
          const p = at(out.length);
          out = Buffer.concat([out.subarray(0, p), out.subarray(p + 1 + at(16))]);
        }
        break;
      case 7: // splice with another PDU
        out = Buffer.concat([out.subarray(0, at(out.length + 1)), other.subarray(at(other.length))]);
        break;
      case 8: // damage a length-prefixed field or TLV length (sm_length, TLV len): two octets somewhere after the header
        if (out.length > 18) out.writeUInt16BE(at(0x10000), 16 + at(out.length - 17));
        break;
      default: // keep command_length consistent with the damage, so the decoder (not the guard) sees it
        if (out.length >= 4) out.writeUInt32BE(out.length, 0);
    }
  }
  return Buffer.from(out);
}

/** Parses everything reachable from one byte stream; throws only what a non-typed failure throws. */
function exercise(stream: Buffer, rand: () => number, counts: { decoded: number; rejected: number }): void {
  const guard = new FrameGuard({ maxFrameLength: MAX_FRAME });
  for (let at = 0; at < stream.length; ) {
    const size = 1 + Math.floor(rand() * 200);
    for (const event of guard.push(stream.subarray(at, at + size))) {
      if (event.kind !== 'frame') continue;
      let pdu;
      try {
        pdu = decodePdu(event.frame);
      } catch (error) {
        if (!isSmppError(error)) throw error;
        counts.rejected += 1;
        continue;
      }
      counts.decoded += 1;
      if (pdu.command !== 'submit_sm' && pdu.command !== 'deliver_sm') continue;
      try {
        if ((pdu.esmClass & ESM_CLASS.UDHI) !== 0) parseUserData(pdu.shortMessage);
        if (isDeliveryReceipt(pdu.esmClass)) parseDeliveryReceipt(pdu);
      } catch (error) {
        if (!isSmppError(error)) throw error;
      }
    }
    at += size;
  }
}

export function fuzzSmppParser(iterations: number, seed: number, findings: FuzzFinding[] = []): FuzzReport {
  const rand = prng(seed);
  const seeds = [...goldenSeeds(), ...generatedSeeds(rand)];
  const counts = { decoded: 0, rejected: 0 };
  let crashes = 0;
  let hangs = 0;
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) {
    const pick = (): Buffer => seeds[Math.floor(rand() * seeds.length)] ?? Buffer.alloc(0);
    const victim = mutate(pick(), pick(), rand);
    // Sometimes alone, sometimes between valid PDUs, as it would arrive on a live connection.
    const stream = rand() < 0.5 ? victim : Buffer.concat([pick(), victim, pick()]);
    const t0 = performance.now();
    try {
      exercise(stream, rand, counts);
    } catch (error) {
      crashes += 1;
      if (findings.length < 20) findings.push({ kind: 'crash', input: stream.toString('hex'), error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
    if (performance.now() - t0 > HANG_MS) {
      hangs += 1;
      if (findings.length < 20) findings.push({ kind: 'hang', input: stream.toString('hex'), error: `took ${Math.round(performance.now() - t0)} ms` });
    }
  }
  return { fuzz: 'smpp-pdu', iterations, crashes, hangs, ms: Math.round(performance.now() - started), seed, ...counts };
}

if (require.main === module) {
  const iterations = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? Date.now() % 0x7fffffff);
  const findings: FuzzFinding[] = [];
  const report = fuzzSmppParser(iterations, seed, findings);
  for (const f of findings) process.stderr.write(`${JSON.stringify(f)}\n`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(report.crashes > 0 || report.hangs > 0 ? 1 : 0);
}
