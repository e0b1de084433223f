import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { IEI, type InboundMessage, type ReceiptEvent } from '../../../src/channel/smpp';
import { EchoHandset } from '../../../hsm-sim/smsc/handsets';
import { ROOT, boundClient, exited, spawnWithReadyLine, startSmsc, waitFor } from './support';

// Interop with Net::SMPP (libnet-smpp-perl), an SMPP implementation that shares nothing with ours:
// our ESME against a Net::SMPP SMSC, and a Net::SMPP ESME against our SMSC simulator.

const PEERS = join(ROOT, 'spec', 'channel', 'peers');
const PACKET = Buffer.from('0015161212b0001000000000000100000000000000a0a40000', 'hex');
type Line = Record<string, unknown>;

function parse(lines: readonly string[]): Line[] {
  return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
}

describe('our ESME ↔ a Net::SMPP SMSC', () => {
  test('binds with interface_version 0x34, submits binary and long text, gets echoes and a receipt, unbinds', async () => {
    const perl = await spawnWithReadyLine('perl', [join(PEERS, 'netsmpp-smsc.pl'), 'platform', 'secret']);
    try {
      const port = Number(perl.ready.port);
      const client = await boundClient(port);
      const inbound: InboundMessage[] = [];
      const receipts: ReceiptEvent[] = [];
      client.on('message', (m) => inbound.push(m));
      client.on('receipt', (r) => receipts.push(r));

      const ota = await client.submit({ id: 'ota-1', sourceAddr: '12345', destinationAddr: '447700900001', destAddrTon: 1, destAddrNpi: 1, dataCoding: 0xf6, protocolId: 0x7f, udh: [{ iei: IEI.COMMAND_PACKET, data: Buffer.alloc(0) }], payload: PACKET, registeredDelivery: 1 });
      expect(ota.messageIds).toEqual(['perl-1']);
      const text = 'The quick brown fox jumps over the lazy dog. '.repeat(6).trim();
      const long = await client.submit({ id: 'text-1', sourceAddr: '12345', destinationAddr: '447700900001', dataCoding: 0, payload: Buffer.from(text, 'latin1') });
      expect(long.segments).toBe(2);
      expect(long.messageIds).toEqual(['perl-2', 'perl-3']);

      await waitFor(() => inbound.length === 2 && receipts.length === 1, 5_000, 'echoes and receipt');
      const binary = inbound.find((m) => m.dataCoding === 0xf6);
      expect(binary?.udh).toEqual([{ iei: IEI.RESPONSE_PACKET, data: Buffer.alloc(0) }]);
      expect(binary?.payload.equals(PACKET)).toBe(true);
      expect(binary).toMatchObject({ sourceAddr: '447700900001', destinationAddr: '12345', protocolId: 0x7f, esmClass: 0x40 });
      const echoedText = inbound.find((m) => m.dataCoding === 0);
      expect(echoedText?.payload.toString('latin1')).toBe(text);
      expect(echoedText?.segments).toBe(2);
      expect(receipts[0]).toMatchObject({ id: 'ota-1', segment: 0, receipt: { messageId: 'perl-1', state: 'DELIVERED', source: 'tlv' } });

      await client.close();
      expect(await exited(perl.child)).toBe(0);
      const lines = parse(perl.stdout);
      expect(lines.find((l) => l.event === 'bind')).toMatchObject({ system_id: 'platform', interface_version: 0x34, accepted: true });
      const submits = lines.filter((l) => l.event === 'submit');
      expect(submits[0]).toMatchObject({ esm_class: 0x40, data_coding: 0xf6, protocol_id: 0x7f, registered_delivery: 1, short_message: `027000${PACKET.toString('hex')}` });
      // The two text segments carry the 8-bit concatenation IE, sequence 1 and 2 of 2.
      expect(String(submits[1]?.short_message)).toMatch(/^050003[0-9a-f]{2}0201/);
      expect(String(submits[2]?.short_message)).toMatch(/^050003[0-9a-f]{2}0202/);
      expect(lines.filter((l) => l.event === 'deliver_sm_resp').every((l) => l.status === 0)).toBe(true);
      expect(lines.filter((l) => l.event === 'deliver_sm_resp')).toHaveLength(4);
      expect(lines.some((l) => l.event === 'unbind')).toBe(true);
    } finally {
      perl.child.kill();
    }
  });
});

describe('a Net::SMPP ESME ↔ our SMSC simulator', () => {
  test('binds, pings, submits binary and to an unknown MSISDN, receives the MO echo and the receipt, unbinds', async () => {
    const { smsc, port, handsets } = await startSmsc({ accounts: [{ systemId: 'perl', password: 'perlpw', moAddresses: ['12345'] }] });
    handsets.register('447700900001', new EchoHandset({ replyTo: '12345' }));
    try {
      const child = spawn('perl', [join(PEERS, 'netsmpp-esme.pl'), String(port), 'perl', 'perlpw', '447700900001', '449999999999'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: string[] = [];
      const err: string[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => err.push(c.toString('utf8')));
      const code = await exited(child);
      const lines = parse(out.join('').split('\n'));
      expect({ code, err: err.join('') }).toEqual({ code: 0, err: '' });
      expect(lines.find((l) => l.event === 'bind_resp')).toMatchObject({ status: 0, system_id: 'HSMSIM' });
      expect(lines.find((l) => l.event === 'enquire_link_resp')).toMatchObject({ status: 0 });
      const accepted = lines.find((l) => l.event === 'submit_resp');
      expect(accepted).toMatchObject({ status: 0, message_id: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown });
      expect(lines.find((l) => l.event === 'submit_refused')).toMatchObject({ status: 0x0b });
      expect(lines.find((l) => l.event === 'mo')).toMatchObject({
        source_addr: '447700900001',
        destination_addr: '12345',
        esm_class: 0x40,
        data_coding: 0xf6,
        protocol_id: 0x7f,
        short_message: `027100${PACKET.toString('hex')}`,
      });
      expect(lines.find((l) => l.event === 'receipt')).toMatchObject({ receipted_message_id: accepted?.message_id, message_state: 2, esm_class: 0x04 });
      expect(lines.find((l) => l.event === 'unbound')).toMatchObject({ status: 0 });
    } finally {
      await smsc.stop();
    }
  });
});
