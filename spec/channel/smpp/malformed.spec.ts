import { EsmeClient, type InboundMessage } from '../../../src/channel/smpp';
import { RecordingHandset } from '../../../hsm-sim/smsc/handsets';
import type { SmscSimulator } from '../../../hsm-sim/smsc/smsc-server';
import { cstr, header, pdu, rawConnect, rawServer, type RawConnection } from './raw-peer';
import { captureLogger, esmeOptions, startSmsc, waitFor } from './support';

// Malformed PDUs over a raw socket, to our SMSC simulator and to our ESME: every one is answered with
// generic_nack (or the command's own error status) and the session goes on with the next valid PDU.

const ID = {
  generic_nack: 0x80000000,
  bind_transceiver: 0x09,
  bind_transceiver_resp: 0x80000009,
  submit_sm: 0x04,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x05,
  deliver_sm_resp: 0x80000005,
  enquire_link: 0x15,
  enquire_link_resp: 0x80000015,
};
const RINVCMDLEN = 0x02;
const RINVCMDID = 0x03;
const RINVBNDSTS = 0x04;
const RINVDSTADR = 0x0b;

const bindBody = (systemId: string, password: string): Buffer =>
  Buffer.concat([cstr(systemId), cstr(password), cstr(''), Buffer.from([0x34, 0, 0]), cstr('')]);

function smBody(source: string, dest: string, esmClass: number, dataCoding: number, sm: Buffer): Buffer {
  return Buffer.concat([
    cstr(''),
    Buffer.from([0, 0]),
    cstr(source),
    Buffer.from([1, 1]),
    cstr(dest),
    Buffer.from([esmClass, 0, 0]),
    cstr(''),
    cstr(''),
    Buffer.from([0, 0, dataCoding, 0, sm.length]),
    sm,
  ]);
}

async function expectAlive(c: RawConnection, seq: number): Promise<void> {
  c.write(pdu(ID.enquire_link, seq));
  const resp = await c.nextOf(ID.enquire_link_resp);
  expect(resp.sequence).toBe(seq);
  expect(resp.status).toBe(0);
}

describe('malformed PDUs to the SMSC simulator', () => {
  let smsc: SmscSimulator;
  let port: number;
  let c: RawConnection;
  const captured = captureLogger();

  beforeAll(async () => {
    const started = await startSmsc({ logger: captured.logger });
    smsc = started.smsc;
    port = started.port;
    started.handsets.register('447700900009', new RecordingHandset());
    c = await rawConnect(port);
    // Checked before binding: a submit_sm on an unbound session has the wrong bind status.
    c.write(pdu(ID.submit_sm, 1, smBody('12345', '447700900009', 0, 0, Buffer.from('x'))));
    expect(await c.next()).toMatchObject({ commandId: ID.submit_sm_resp, status: RINVBNDSTS, sequence: 1 });
    c.write(pdu(ID.bind_transceiver, 2, bindBody('platform', 'secret')));
    expect(await c.next()).toMatchObject({ commandId: ID.bind_transceiver_resp, status: 0, sequence: 2 });
  });
  afterAll(async () => {
    c.end();
    await smsc.stop();
  });

  test('command_length below 16 → generic_nack ESME_RINVCMDLEN with its sequence number', async () => {
    c.write(header(8, ID.enquire_link, 0, 77));
    expect(await c.next()).toMatchObject({ commandId: ID.generic_nack, status: RINVCMDLEN, sequence: 77 });
    await expectAlive(c, 100);
  });

  test('a lone 4-octet length of 5 → generic_nack (sequence 0), then the next PDU is served', async () => {
    c.write(Buffer.from([0, 0, 0, 5]));
    expect(await c.next()).toMatchObject({ commandId: ID.generic_nack, status: RINVCMDLEN, sequence: 0 });
    await expectAlive(c, 101);
  });

  test('command_length over the maximum frame on a real command → generic_nack, its octets skipped', async () => {
    const big = 100_000;
    c.write(Buffer.concat([header(big, ID.submit_sm, 0, 78), Buffer.alloc(big - 16, 0x41)]));
    expect(await c.next()).toMatchObject({ commandId: ID.generic_nack, status: RINVCMDLEN, sequence: 78 });
    await expectAlive(c, 102);
  });

  test('garbage with a valid enquire_link behind it in the same write → generic_nack, then the enquire_link is answered', async () => {
    c.write(Buffer.concat([Buffer.from('GARBAGE GARBAGE GARBAGE GARBAGE!', 'latin1'), pdu(ID.enquire_link, 103)]));
    expect(await c.next()).toMatchObject({ commandId: ID.generic_nack, status: RINVCMDLEN });
    expect(await c.next()).toMatchObject({ commandId: ID.enquire_link_resp, sequence: 103 });
  });

  test('an unknown command_id of valid length → generic_nack ESME_RINVCMDID', async () => {
    c.write(pdu(0x00000999, 79));
    expect(await c.next()).toMatchObject({ commandId: ID.generic_nack, status: RINVCMDID, sequence: 79 });
    await expectAlive(c, 104);
  });

  test('a body cut inside a C-octet string → generic_nack ESME_RINVCMDLEN', async () => {
    c.write(pdu(ID.submit_sm, 80, Buffer.concat([Buffer.from([0, 0, 0]), Buffer.from('123456789')])));
    expect(await c.next()).toMatchObject({ commandId: ID.generic_nack, status: RINVCMDLEN, sequence: 80 });
    await expectAlive(c, 105);
  });

  test('a destination_addr over 20 characters → submit_sm_resp ESME_RINVDSTADR', async () => {
    c.write(pdu(ID.submit_sm, 81, smBody('12345', '4'.repeat(30), 0, 0, Buffer.from('x'))));
    expect(await c.next()).toMatchObject({ commandId: ID.submit_sm_resp, status: RINVDSTADR, sequence: 81 });
  });

  test('after all that, the bound session still takes a submit_sm', async () => {
    c.write(pdu(ID.submit_sm, 82, smBody('12345', '447700900009', 0x40, 0xf6, Buffer.from('027000cafe', 'hex'))));
    const resp = await c.next();
    expect(resp).toMatchObject({ commandId: ID.submit_sm_resp, status: 0, sequence: 82 });
    expect(resp.body.toString('latin1')).toMatch(/^[0-9a-f]{16}\0$/);
  });

  test('every refusal left a log line', () => {
    const messages = captured.lines.map((l) => String(l.msg));
    expect(messages.filter((m) => m.includes('invalid command_length')).length).toBeGreaterThanOrEqual(4);
    expect(messages.some((m) => m.includes('malformed PDU answered'))).toBe(true);
    expect(messages.some((m) => m.includes('submit_sm refused'))).toBe(true);
  });
});

describe('malformed PDUs to our ESME', () => {
  async function boundPair(extra = {}): Promise<{ client: EsmeClient; c: RawConnection; close: () => Promise<void>; accepted: () => Promise<RawConnection> }> {
    const fake = await rawServer();
    const client = new EsmeClient(esmeOptions(fake.port, { responseTimeoutMs: 500, ...extra }));
    const started = client.start();
    const c = await fake.accepted();
    const bind = await c.next();
    expect(bind.commandId).toBe(ID.bind_transceiver);
    // interface_version follows system_id, password and system_type.
    const parts = bind.body.toString('latin1').split('\0');
    expect(parts.slice(0, 3)).toEqual(['platform', 'secret', '']);
    expect(bind.body[parts.slice(0, 3).join('\0').length + 1]).toBe(0x34);
    c.write(pdu(ID.bind_transceiver_resp, bind.sequence, cstr('FAKE')));
    await started;
    return {
      client,
      c,
      accepted: fake.accepted,
      close: async () => {
        await client.close();
        c.end();
        await new Promise<void>((r) => fake.server.close(() => r()));
      },
    };
  }

  test('too short, too long and garbage are each answered with generic_nack, and the ESME keeps serving', async () => {
    const { client, c, close } = await boundPair();
    const inbound: InboundMessage[] = [];
    client.on('message', (m) => inbound.push(m));
    c.write(header(12, ID.deliver_sm, 0, 50));
    expect(await c.next()).toMatchObject({ commandId: ID.generic_nack, status: RINVCMDLEN, sequence: 50 });
    await expectAlive(c, 51);
    c.write(Buffer.concat([header(40_000, ID.deliver_sm, 0, 52), Buffer.alloc(40_000 - 16)]));
    expect(await c.next()).toMatchObject({ commandId: ID.generic_nack, status: RINVCMDLEN, sequence: 52 });
    c.write(Buffer.concat([Buffer.from('\xff\xfe not smpp at all \x00\x01', 'latin1'), pdu(ID.deliver_sm, 53, smBody('447700900001', '12345', 0x40, 0xf6, Buffer.from('027100beef', 'hex')))]));
    expect(await c.next()).toMatchObject({ commandId: ID.generic_nack, status: RINVCMDLEN });
    expect(await c.next()).toMatchObject({ commandId: ID.deliver_sm_resp, status: 0, sequence: 53 });
    await waitFor(() => inbound.length === 1);
    expect(inbound[0]?.udh).toEqual([{ iei: 0x71, data: Buffer.alloc(0) }]);
    expect(inbound[0]?.payload.toString('hex')).toBe('beef');
    expect(client.state).toBe('bound');
    await close();
  });

  test('a deliver_sm whose UDH overruns it is acknowledged and passed on untouched', async () => {
    const { client, c, close } = await boundPair();
    const inbound: InboundMessage[] = [];
    client.on('message', (m) => inbound.push(m));
    c.write(pdu(ID.deliver_sm, 60, smBody('447700900001', '12345', 0x40, 0xf6, Buffer.from('0f7100', 'hex'))));
    expect(await c.next()).toMatchObject({ commandId: ID.deliver_sm_resp, status: 0, sequence: 60 });
    await waitFor(() => inbound.length === 1);
    expect(inbound[0]?.payload.toString('hex')).toBe('0f7100');
    expect(inbound[0]?.udh).toEqual([]);
    await close();
  });

  test('the ESME sends enquire_link when the line is quiet, and drops and rebuilds a connection that does not answer', async () => {
    const { client, c, close, accepted } = await boundPair({ enquireLinkMs: 150, responseTimeoutMs: 300 });
    const drops: string[] = [];
    client.on('disconnected', (_b, reason) => drops.push(reason));
    const first = await c.nextOf(ID.enquire_link, 2_000);
    c.write(pdu(ID.enquire_link_resp, first.sequence));
    // The second one goes unanswered: the ESME gives up on this connection and binds again.
    await c.nextOf(ID.enquire_link, 2_000);
    const again = await accepted();
    const rebind = await again.next();
    expect(rebind.commandId).toBe(ID.bind_transceiver);
    again.write(pdu(ID.bind_transceiver_resp, rebind.sequence, cstr('FAKE')));
    await waitFor(() => client.state === 'bound' && drops.length === 1);
    expect(drops[0]).toBe('enquire_link unanswered');
    again.end();
    await close();
  });
});
