import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EsmeClient, SmppResponseTimeoutError, type SubmitResult } from '../../../src/channel/smpp';
import { InMemoryHandsetDirectory, RecordingHandset } from '../../../hsm-sim/smsc/handsets';
import { SmscSimulator } from '../../../hsm-sim/smsc/smsc-server';
import { cstr, pdu, rawServer } from './raw-peer';
import { ACCOUNT, boundClient, esmeOptions, exited, freePort, scratchDir, silent, spawnWithReadyLine, waitFor } from './support';

// Faults between our ESME and the SMSC simulator. Every message carries a sequence number in its payload;
// the handset side counts them: nothing may be missing and nothing may arrive twice.

const HANDSET = '447700900100';

function payloads(handset: RecordingHandset): string[] {
  return handset.received.map((m) => m.payload.toString('latin1'));
}

function expectEachOnce(got: readonly string[], count: number, prefix: string): void {
  const expected = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  expect(got.filter((p) => p.startsWith(prefix)).sort()).toEqual(expected.sort());
}

function submitMany(client: EsmeClient, count: number, prefix: string): Promise<SubmitResult>[] {
  return Array.from({ length: count }, (_, i) =>
    client.submit({ id: `${prefix}-${i}`, sourceAddr: '12345', destinationAddr: HANDSET, payload: Buffer.from(`${prefix}-${i}`) }),
  );
}

describe('faults', () => {
  let handsets: InMemoryHandsetDirectory;
  let recorder: RecordingHandset;
  let smsc: SmscSimulator;
  let port: number;

  beforeEach(async () => {
    handsets = new InMemoryHandsetDirectory();
    recorder = new RecordingHandset();
    handsets.register(HANDSET, recorder);
    port = await freePort();
    smsc = new SmscSimulator({ accounts: [ACCOUNT], handsets, port, logger: silent(), faultSeed: 7 });
    await smsc.start();
  });
  afterEach(async () => {
    await smsc.stop();
  });

  test('the SMSC restarted mid-load: the ESME reconnects, nothing lost, nothing twice', async () => {
    const client = await boundClient(port, { window: 10, submitsPerSecond: 3_000 });
    const outcomes = submitMany(client, 400, 'restart');
    await waitFor(() => client.stats().acknowledged >= 120, 10_000, '120 acknowledged');
    await smsc.stop();
    await new Promise((r) => setTimeout(r, 200));
    smsc = new SmscSimulator({ accounts: [ACCOUNT], handsets, port, logger: silent() });
    await smsc.start();
    const results = await Promise.all(outcomes);
    await smsc.idle();
    expectEachOnce(payloads(recorder), 400, 'restart');
    expect(new Set(results.map((r) => r.messageIds[0])).size).toBe(400);
    expect(client.stats().binds).toBe(2);
    // Segments in flight at the stop were sent again after the re-bind; every extra send is one of those.
    const stats = client.stats();
    expect(stats.submitted).toBe(stats.acknowledged + stats.retriedAfterDrop);
    await client.close();
  });

  test('the SMSC down for a while (binds refused meanwhile): the ESME backs off, rebinds, nothing lost or repeated', async () => {
    const client = await boundClient(port, { window: 8, submitsPerSecond: 3_000 });
    const drops: string[] = [];
    client.on('disconnected', (_b, reason) => drops.push(reason));
    const outcomes = submitMany(client, 300, 'down');
    await waitFor(() => client.stats().acknowledged >= 100, 10_000, '100 acknowledged');
    await smsc.goDown(400);
    await Promise.all(outcomes);
    await smsc.idle();
    expectEachOnce(payloads(recorder), 300, 'down');
    expect(drops).toHaveLength(1);
    expect(smsc.stats().refusedBinds).toBeGreaterThanOrEqual(1);
    await client.close();
  });

  test('throttling: ESME_RTHROTTLED answers make the ESME back off, and everything is delivered once', async () => {
    await smsc.stop();
    smsc = new SmscSimulator({ accounts: [{ ...ACCOUNT, submitsPerSecond: 300, burst: 5 }], handsets, port, logger: silent() });
    await smsc.start();
    const client = await boundClient(port, { window: 20, submitsPerSecond: 10_000, submitBurst: 20 });
    const started = Date.now();
    await Promise.all(submitMany(client, 150, 'throttle'));
    await smsc.idle();
    expectEachOnce(payloads(recorder), 150, 'throttle');
    expect(smsc.stats().throttled).toBeGreaterThan(0);
    expect(client.stats().throttled).toBe(smsc.stats().throttled);
    // 150 messages at 300/s cannot take less than about half a second, whatever the ESME's own rate.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    await client.close();
  });

  test('the ESME throttle itself paces submits to the configured rate', async () => {
    const client = await boundClient(port, { window: 20, submitsPerSecond: 100, submitBurst: 1 });
    const started = Date.now();
    await Promise.all(submitMany(client, 40, 'pace'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(smsc.stats().throttled).toBe(0);
    await client.close();
  });

  test('a response timeout fails the submit with a typed error, quickly, and the same id is not sent again', async () => {
    smsc.setLatency(1_500);
    const client = await boundClient(port, { responseTimeoutMs: 200 });
    const started = Date.now();
    const error = await client.submit({ id: 'slow', sourceAddr: '12345', destinationAddr: HANDSET, payload: Buffer.from('slow') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmppResponseTimeoutError);
    expect(error).toMatchObject({ code: 'RESPONSE_TIMEOUT', command: 'submit_sm', timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(1_000);
    const again = await client.submit({ id: 'slow', sourceAddr: '12345', destinationAddr: HANDSET, payload: Buffer.from('slow') }).catch((e: unknown) => e);
    expect(again).toBe(error);
    smsc.setLatency(0);
    // The slow SMSC did take it in the end: which is why a timed-out submit is not sent again by default.
    await waitFor(() => recorder.received.length === 1, 3_000);
    await client.close();
  });

  test('dropped submits time out and are retried when timeoutRetries allows: all delivered, none twice', async () => {
    smsc.setDropShare(0.3);
    const client = await boundClient(port, { responseTimeoutMs: 150, timeoutRetries: 20, window: 10, submitsPerSecond: 3_000 });
    await Promise.all(submitMany(client, 60, 'drop'));
    await smsc.idle();
    expectEachOnce(payloads(recorder), 60, 'drop');
    expect(smsc.stats().dropped).toBeGreaterThan(5);
    await client.close();
  });

  test('ESME_RMSGQFUL from an SMSC: the segment is sent again after a back-off', async () => {
    const fake = await rawServer();
    const client = new EsmeClient(esmeOptions(fake.port, { responseTimeoutMs: 500 }));
    const started = client.start();
    const c = await fake.accepted();
    const bind = await c.next();
    c.write(pdu(0x80000009, bind.sequence, cstr('FAKE')));
    await started;
    const outcome = client.submit({ sourceAddr: '12345', destinationAddr: HANDSET, payload: Buffer.from('q') });
    const first = await c.next();
    c.write(pdu(0x80000004, first.sequence, Buffer.alloc(0), 0x14));
    const second = await c.next();
    expect(second.body.equals(first.body)).toBe(true);
    c.write(pdu(0x80000004, second.sequence, Buffer.alloc(0), 0x58));
    const third = await c.next();
    c.write(pdu(0x80000004, third.sequence, cstr('id-3')));
    await expect(outcome).resolves.toMatchObject({ messageIds: ['id-3'] });
    expect(client.stats().throttled).toBe(2);
    await client.close();
    c.end();
    await new Promise<void>((r) => fake.server.close(() => r()));
  });
});

describe('the SMSC simulator as its own process', () => {
  test('runs from main.ts, and a SIGTERM restart mid-load loses and repeats nothing', async () => {
    const dir = scratchDir('smsc-proc');
    const record = join(dir, 'handset.jsonl');
    const port = await freePort();
    const args = [
      '-r',
      '@swc-node/register',
      'hsm-sim/smsc/main.ts',
      '--port',
      String(port),
      '--account',
      'platform:secret@127.0.0.1',
      '--recorder',
      HANDSET,
      '--record-file',
      record,
      '--log-level',
      'warn',
    ];
    const first = await spawnWithReadyLine(process.execPath, args);
    expect(first.ready).toMatchObject({ smsc: 'listening', port });
    const client = await boundClient(port, { window: 10, submitsPerSecond: 2_000 });
    const outcomes = submitMany(client, 300, 'proc');
    await waitFor(() => client.stats().acknowledged >= 80, 15_000, '80 acknowledged');
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);
    expect(first.stdout.some((l) => l.includes('"smsc":"stopped"'))).toBe(true);
    const second = await spawnWithReadyLine(process.execPath, args);
    try {
      await Promise.all(outcomes);
      await client.close();
    } finally {
      // Stopping gracefully also lets the last handset deliveries reach the record file.
      second.child.kill('SIGTERM');
    }
    expect(await exited(second.child)).toBe(0);
    const lines = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { userData: string; messageId: string });
    expectEachOnce(lines.map((l) => Buffer.from(l.userData, 'hex').toString('latin1')), 300, 'proc');
    expect(new Set(lines.map((l) => l.messageId)).size).toBe(300);
  });
});
