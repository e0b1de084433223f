import {
  EsmeClient,
  EsmePool,
  IEI,
  SmppBindRefusedError,
  SmppCommandStatusError,
  concatInfo,
  type InboundMessage,
  type ReceiptEvent,
} from '../../../src/channel/smpp';
import { EchoHandset, RecordingHandset } from '../../../hsm-sim/smsc/handsets';
import { SmscSimulator } from '../../../hsm-sim/smsc/smsc-server';
import { cstr, pdu, rawConnect } from './raw-peer';
import { ACCOUNT, boundClient, captureLogger, esmeOptions, silent, startSmsc, waitFor } from './support';

// Our ESME against our SMSC simulator over real sockets: binds, routing both ways, binary OTA headers,
// concatenation, receipts, and the protocol's status for every refusal.

const OTA_CMD = { iei: IEI.COMMAND_PACKET, data: Buffer.alloc(0) };
const HANDSET = '447700900001';

describe('ESME ↔ SMSC simulator', () => {
  let smsc: SmscSimulator;
  let port: number;
  const recorder = new RecordingHandset();
  const echo = new EchoHandset({ replyTo: '12345' });
  const clients: EsmeClient[] = [];

  beforeAll(async () => {
    const started = await startSmsc();
    smsc = started.smsc;
    port = started.port;
    started.handsets.register(HANDSET, echo).register('447700900002', recorder);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await smsc.stop();
  });

  async function client(extra = {}): Promise<EsmeClient> {
    const c = await boundClient(port, extra);
    clients.push(c);
    return c;
  }

  test('a binary SM with UDH 0x70 reaches the handset untouched and its echo comes back as 0x71', async () => {
    const esme = await client();
    const inbound: InboundMessage[] = [];
    esme.on('message', (m) => inbound.push(m));
    const packet = Buffer.from('0015161212b000000000000000000000000102030405', 'hex');
    const result = await esme.submit({ sourceAddr: '12345', destinationAddr: `+${HANDSET}`, dataCoding: 0xf6, protocolId: 0x7f, udh: [OTA_CMD], payload: packet });
    expect(result.segments).toBe(1);
    expect(result.messageIds[0]).toMatch(/^[0-9a-f]{16}$/);
    await waitFor(() => inbound.length === 1, 5_000, 'echo');
    const mt = echo.received.at(-1);
    expect(mt?.userData.toString('hex')).toBe(`027000${packet.toString('hex')}`);
    expect(mt?.esmClass).toBe(0x40);
    expect(mt?.dataCoding).toBe(0xf6);
    expect(mt?.protocolId).toBe(0x7f);
    const mo = inbound[0];
    expect(mo?.udh).toEqual([{ iei: IEI.RESPONSE_PACKET, data: Buffer.alloc(0) }]);
    expect(mo?.payload.equals(packet)).toBe(true);
    expect(mo).toMatchObject({ sourceAddr: HANDSET, destinationAddr: '12345', dataCoding: 0xf6, esmClass: 0x40, segments: 1 });
  });

  test.each([8, 16] as const)('a long payload goes as concatenated SMs (%i-bit reference), 0x70 in the first only, and comes back whole', async (bits) => {
    const esme = await client({ concatReferenceBits: bits });
    const inbound: InboundMessage[] = [];
    esme.on('message', (m) => inbound.push(m));
    const before = echo.received.length;
    const packet = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 7) & 0xff));
    const result = await esme.submit({ sourceAddr: '12345', destinationAddr: HANDSET, dataCoding: 0xf6, udh: [OTA_CMD], payload: packet });
    expect(result.segments).toBe(5);
    await waitFor(() => inbound.length === 1, 5_000, 'reassembled echo');
    const segments = echo.received.slice(before);
    expect(segments).toHaveLength(5);
    segments.forEach((sm, i) => {
      expect(sm.userData.length).toBeLessThanOrEqual(140);
      const info = concatInfo(sm.udh ?? []);
      expect(info).toMatchObject({ referenceBits: bits, total: 5, sequence: i + 1 });
      expect(sm.udh?.[0]?.iei).toBe(bits === 8 ? IEI.CONCAT_8 : IEI.CONCAT_16);
      expect(sm.udh?.some((ie) => ie.iei === IEI.COMMAND_PACKET)).toBe(i === 0);
    });
    expect(Buffer.concat(segments.map((s) => s.payload)).equals(packet)).toBe(true);
    expect(inbound[0]?.payload.equals(packet)).toBe(true);
    expect(inbound[0]?.segments).toBe(5);
    expect(inbound[0]?.udh).toEqual([{ iei: IEI.RESPONSE_PACKET, data: Buffer.alloc(0) }]);
  });

  test('delivery receipts are parsed and tied to the message and segment', async () => {
    const esme = await client();
    const receipts: ReceiptEvent[] = [];
    esme.on('receipt', (r) => receipts.push(r));
    const ok = await esme.submit({ id: 'order-1', sourceAddr: '12345', destinationAddr: '447700900002', payload: Buffer.from('hello'), registeredDelivery: 1 });
    recorder.refuseNext(1);
    const failed = await esme.submit({ id: 'order-2', sourceAddr: '12345', destinationAddr: '447700900002', payload: Buffer.from('lost'), registeredDelivery: 1 });
    await waitFor(() => receipts.length === 2, 5_000, 'receipts');
    const byId = new Map(receipts.map((r) => [r.id, r]));
    expect(byId.get('order-1')).toMatchObject({ segment: 0, receipt: { messageId: ok.messageIds[0], state: 'DELIVERED', final: true, source: 'tlv', text: 'hello' } });
    expect(byId.get('order-2')).toMatchObject({ segment: 0, receipt: { messageId: failed.messageIds[0], state: 'UNDELIVERABLE', err: '001' } });
    expect(byId.get('order-1')?.receipt.doneDate).toBeInstanceOf(Date);
  });

  test('the same message id is acknowledged once: a second submit returns the first outcome', async () => {
    const esme = await client();
    const before = recorder.received.length;
    const first = esme.submit({ id: 'same', sourceAddr: '12345', destinationAddr: '447700900002', payload: Buffer.from('once') });
    const second = esme.submit({ id: 'same', sourceAddr: '12345', destinationAddr: '447700900002', payload: Buffer.from('once') });
    expect(second).toBe(first);
    const r1 = await first;
    const r3 = await esme.submit({ id: 'same', sourceAddr: '12345', destinationAddr: '447700900002', payload: Buffer.from('once') });
    expect(r3).toEqual(r1);
    await smsc.idle();
    expect(recorder.received.length - before).toBe(1);
  });

  test('an unknown MSISDN is refused with ESME_RINVDSTADR', async () => {
    const esme = await client();
    const error = await esme.submit({ sourceAddr: '12345', destinationAddr: '440000000000', payload: Buffer.from('x') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmppCommandStatusError);
    expect(error).toMatchObject({ code: 'COMMAND_STATUS', statusName: 'ESME_RINVDSTADR', command: 'submit_sm' });
  });

  test.each([
    ['wrong password', { password: 'nope' }, 'ESME_RINVPASWD', 'wrong password'],
    ['unknown system_id', { systemId: 'stranger' }, 'ESME_RINVSYSID', 'unknown system_id'],
  ])('a bind with a %s is refused and logged', async (_what, extra, status, logged) => {
    const { logger, lines } = captureLogger();
    const own = await startSmsc({ logger });
    const esme = new EsmeClient(esmeOptions(own.port, extra));
    await expect(esme.start()).rejects.toBeInstanceOf(SmppBindRefusedError);
    await expect(esme.start()).rejects.toThrow();
    expect(esme.state).toBe('failed');
    await esme.close();
    await own.smsc.stop();
    expect(lines.some((l) => String(l.msg).includes(logged) && l.status === status)).toBe(true);
  });

  test('a bind from an address the account does not allow is refused with ESME_RBINDFAIL', async () => {
    const { logger, lines } = captureLogger();
    const own = await startSmsc({ logger, accounts: [{ ...ACCOUNT, allowedIps: ['192.0.2.7'] }] });
    const esme = new EsmeClient(esmeOptions(own.port));
    const error = await esme.start().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BIND_REFUSED', statusName: 'ESME_RBINDFAIL' });
    await esme.close();
    await own.smsc.stop();
    expect(lines.some((l) => l.status === 'ESME_RBINDFAIL')).toBe(true);
  });

  test('enquire_link both ways: the SMSC pings a quiet ESME, the ESME pings a quiet SMSC, and the bind stays up', async () => {
    const own = await startSmsc({ enquireLinkMs: 100 });
    // A raw ESME sees the SMSC's enquire_link and answers it.
    const raw = await rawConnect(own.port);
    raw.write(pdu(0x09, 1, Buffer.concat([cstr('platform'), cstr('secret'), cstr(''), Buffer.from([0x34, 0, 0]), cstr('')])));
    expect(await raw.next()).toMatchObject({ commandId: 0x80000009, status: 0 });
    const ping = await raw.nextOf(0x15, 2_000);
    raw.write(pdu(0x80000015, ping.sequence));
    raw.end();
    // Our ESME and the SMSC, both pinging every 100 ms of silence, stay bound through half a second of quiet.
    const esme = await boundClient(own.port, { enquireLinkMs: 100 });
    const drops: string[] = [];
    esme.on('disconnected', (_b, reason) => drops.push(reason));
    await new Promise((r) => setTimeout(r, 500));
    expect(drops).toEqual([]);
    expect(esme.state).toBe('bound');
    await esme.close();
    await own.smsc.stop();
  });

  test('a pool of three binds shares the load round-robin and delivers everything once', async () => {
    const pool = new EsmePool([0, 1, 2].map(() => esmeOptions(port, { logger: silent() })));
    await pool.start();
    const before = recorder.received.length;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => pool.submit({ id: `pool-${i}`, sourceAddr: '12345', destinationAddr: '447700900002', payload: Buffer.from(`m${i}`) })),
    );
    await smsc.idle();
    expect(new Set(results.map((r) => r.messageIds[0])).size).toBe(30);
    const got = recorder.received.slice(before).map((m) => m.payload.toString()).sort();
    expect(got).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`).sort());
    for (const s of pool.stats()) expect(s.acknowledged).toBe(10);
    await pool.close();
  });
});
