import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TSA_FAILURE_NAMES, createTsa, parseTimeStampResponse, parseTstInfo, verifySignedData, verifyTimeStampToken } from '../../../src/pki';
import { openStore } from '../../../src/store';
import { type TsaFixture, memoryLogger, tsaFixture } from './support';

/**
 * Bad input never crashes or hangs the TSA: every vector of fixtures/pki/tsa/queries.json (written in Python,
 * independently of this code) gets a TimeStampResp over HTTP 200: granted, or a rejection with the expected
 * failInfo and a log line. The route's own refusals (content type, body size) answer the same way.
 */
interface Vector {
  readonly name: string;
  readonly spec: string;
  readonly hex: string;
  readonly expect: string;
}
const VECTORS = (JSON.parse(readFileSync(resolve(__dirname, '../../../fixtures/pki/tsa/queries.json'), 'utf8')) as { vectors: Vector[] }).vectors;

let f: TsaFixture;

beforeAll(async () => {
  f = await tsaFixture('tsa-requests');
});

afterAll(async () => {
  await f?.close();
});

describe('fixtures/pki/tsa/queries.json over HTTP', () => {
  it.each(VECTORS.map((v) => [`${v.name} → ${v.expect} (${v.spec})`, v] as const))('%s', async (_title, v) => {
    const linesBefore = f.lines.length;
    const res = await f.post(Buffer.from(v.hex, 'hex'));
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/timestamp-reply');
    const reply = parseTimeStampResponse(res.body);
    const logged = f.lines.slice(linesBefore);
    if (v.expect === 'granted') {
      expect(reply).toMatchObject({ status: 0, failures: [] });
      const cms = await verifySignedData(reply.token as Uint8Array, { certificates: [f.chain.leaf.der] });
      expect(cms.valid).toBe(true);
      expect(logged.some((l) => l.msg === 'time-stamp issued')).toBe(true);
    } else {
      expect(TSA_FAILURE_NAMES).toContain(v.expect);
      expect(reply).toMatchObject({ status: 2, failures: [v.expect], token: undefined });
      expect(reply.statusStrings.length).toBeGreaterThanOrEqual(1);
      const line = logged.find((l) => l.msg === 'time-stamp request rejected');
      expect(line).toMatchObject({ level: 40, failInfo: v.expect });
    }
  });
});

describe('the route', () => {

  it('a wrong or missing content type: rejection badRequest, logged', async () => {
    for (const type of ['application/octet-stream', 'text/plain', '']) {
      const res = await f.post(query(), type);
      expect(res.status).toBe(200);
      expect(parseTimeStampResponse(res.body)).toMatchObject({ status: 2, failures: ['badRequest'] });
    }
    expect(f.lines.filter((l) => l.failInfo === 'badRequest' && typeof l.contentType === 'string').length).toBeGreaterThanOrEqual(3);
  });

  it('media type parameters and case do not matter', async () => {
    const res = await f.post(query(), 'Application/TimeStamp-Query; charset=binary');
    expect(parseTimeStampResponse(res.body)).toMatchObject({ status: 0 });
  });

  it('a body over the route limit: rejection badRequest without reading it all', async () => {
    const res = await f.post(Buffer.alloc(64 * 1024, 0x30));
    expect(res.status).toBe(200);
    expect(parseTimeStampResponse(res.body)).toMatchObject({ status: 2, failures: ['badRequest'] });
  });

  it('GET is not a time-stamp request', async () => {
    const res = await fetch(`${f.server.url}/tsa`);
    expect(res.status).toBe(404);
  });
});

describe('serial numbers, genTime and accuracy', () => {
  it('a hundred concurrent requests get a hundred different serial numbers', async () => {
    const replies = await Promise.all(Array.from({ length: 100 }, () => f.tsa.respond(query())));
    const serials = replies.map((r) => r.serialNumber?.toString(16));
    expect(replies.every((r) => r.status === 'granted')).toBe(true);
    expect(new Set(serials).size).toBe(100);
  });

  it('never repeat across a restart: the counter lives in the store, and each TSA instance draws its own high bits', async () => {
    const first = await f.tsa.timeStamp({ hash: 'sha256', hashedMessage: Buffer.alloc(32, 1) });
    // A restart: the store opened afresh from its file, a new TSA instance on it.
    const reopened = await openStore({ sqliteFile: f.sqliteFile });
    try {
      const options = { hsm: f.t.hsm, key: f.chain.leaf.pair.privateKey, certificate: f.chain.leaf.der, counters: reopened.counters, policyOid: f.tsa.policyOid };
      const restarted = await createTsa({ ...options, logger: memoryLogger().logger });
      const second = await restarted.timeStamp({ hash: 'sha256', hashedMessage: Buffer.alloc(32, 1) });
      const low = (n: bigint): bigint => n & ((1n << 64n) - 1n);
      expect(low(second.serialNumber)).toBe(low(first.serialNumber) + 1n);
      expect(second.serialNumber >> 64n).not.toBe(first.serialNumber >> 64n);
      // Without the random prefix the serial is the counter itself.
      const plain = await createTsa({ ...options, logger: memoryLogger().logger, serialPrefix: 'none' });
      const third = await plain.timeStamp({ hash: 'sha256', hashedMessage: Buffer.alloc(32, 1) });
      expect(third.serialNumber).toBe(low(second.serialNumber) + 1n);
    } finally {
      await reopened.close();
    }
  });

  it('genTime has whole seconds with accuracy 1 s, milliseconds when the accuracy is below a second', async () => {
    const coarse = await f.tsa.timeStamp({ hash: 'sha256', hashedMessage: Buffer.alloc(32, 2) });
    const coarseInfo = await tstInfoOf(coarse.token);
    expect(coarseInfo.genTimeText).toMatch(/^\d{14}Z$/);
    expect(coarseInfo.accuracy).toEqual({ seconds: 1 });

    const fine = await createTsa({
      hsm: f.t.hsm,
      keyLabel: f.chain.leaf.pair.privateKey.label,
      certificate: f.chain.leaf.der,
      counters: f.store.counters,
      policyOid: f.tsa.policyOid,
      logger: memoryLogger().logger,
      accuracy: { millis: 500 },
      clock: () => Date.UTC(2025, 5, 1, 12, 0, 0, 250),
    });
    const token = (await fine.timeStamp({ hash: 'sha256', hashedMessage: Buffer.alloc(32, 3), nonce: 0x8000n })).token;
    const info = await tstInfoOf(token);
    expect(info.genTimeText).toBe('20250601120000.25Z');
    expect(info.accuracy).toEqual({ millis: 500 });
    expect(Buffer.from(info.nonce ?? []).toString('hex')).toBe('008000');
    expect(await verifyTimeStampToken(token, { nonce: 0x8000n, certificates: [f.chain.leaf.der] })).toMatchObject({ valid: true });
    expect(await verifyTimeStampToken(token, { nonce: 0x8001n, certificates: [f.chain.leaf.der] })).toMatchObject({ valid: false, rule: 'nonce-mismatch' });
  });
});

async function tstInfoOf(token: Uint8Array) {
  const cms = await verifySignedData(token, { certificates: [f.chain.leaf.der] });
  if (!cms.valid) throw new Error(cms.message);
  return parseTstInfo(cms.content);
}

function query(): Buffer {
  return Buffer.from(VECTORS[0]?.hex ?? '', 'hex');
}
