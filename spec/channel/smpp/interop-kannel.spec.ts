import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IEI } from '../../../src/channel/smpp';
import { exited, freePort, scratchDir, startSmsc, waitFor } from './support';

// Kannel's bearerbox (an SMPP client written by others) binds to our SMSC simulator as an ESME and
// receives a mobile-originated binary SM with UDH 02 70 00, sent by a test handset and routed by our
// SMSC. What proves it arrived: bearerbox's access log ("Receive SMS ... [msg:len:hex] [udh:len:hex]")
// and its admin status page (received sms 1). No smsbox is run; an smsbox group must exist in the
// configuration all the same, or bearerbox refuses to start.

const bearerbox = existsSync('/usr/sbin/bearerbox') ? '/usr/sbin/bearerbox' : 'bearerbox';
// Skipped only where Kannel is not installed (it is in the project's Debian package list).
// scripts/setup.sh installs kannel; its absence is a failure, not a skip.
const withKannel = describe;
const PACKET = Buffer.from('0015161212b0001000000000000100000000000000a0a40000', 'hex');

function kannelConf(dir: string, adminPort: number, smsboxPort: number, smscPort: number): string {
  return [
    'group = core',
    `admin-port = ${adminPort}`,
    'admin-password = adminpw',
    'admin-interface = 127.0.0.1',
    `smsbox-port = ${smsboxPort}`,
    'smsbox-interface = 127.0.0.1',
    'box-allow-ip = "127.0.0.1"',
    `log-file = "${join(dir, 'bearerbox.log')}"`,
    'log-level = 0',
    `access-log = "${join(dir, 'access.log')}"`,
    'store-type = file',
    `store-location = "${join(dir, 'kannel.store')}"`,
    'dlr-storage = internal',
    '',
    'group = smsc',
    'smsc = smpp',
    'smsc-id = hsmsim',
    'host = 127.0.0.1',
    `port = ${smscPort}`,
    'transceiver-mode = true',
    'smsc-username = kannel',
    'smsc-password = kannelpw',
    'system-type = ""',
    'interface-version = 34',
    'reconnect-delay = 1',
    '',
    'group = smsbox',
    'bearerbox-host = 127.0.0.1',
    '',
  ].join('\n');
}

withKannel('Kannel bearerbox ↔ our SMSC simulator', () => {
  test('bearerbox binds as an ESME and receives a binary MO SM with UDH 0x70, untouched', async () => {
    const { smsc, port, handsets } = await startSmsc({ accounts: [{ systemId: 'kannel', password: 'kannelpw', allowedIps: ['127.0.0.1'] }] });
    const dir = scratchDir('kannel');
    const [adminPort, smsboxPort] = [await freePort(), await freePort()];
    const conf = join(dir, 'kannel.conf');
    writeFileSync(conf, kannelConf(dir, adminPort, smsboxPort, port));
    const binds: { systemId: string; type: string }[] = [];
    smsc.on('bound', (systemId, type) => binds.push({ systemId, type }));
    const delivered: string[] = [];
    smsc.on('delivered', (id, kind) => {
      if (kind === 'mo') delivered.push(id);
    });
    let child: ChildProcess | undefined;
    try {
      child = spawn(bearerbox, [conf], { cwd: dir, stdio: 'ignore' });
      await waitFor(() => binds.length > 0, 20_000, 'bearerbox bind');
      expect(binds[0]).toEqual({ systemId: 'kannel', type: 'bind_transceiver' });

      // The test handset: its SM goes to the network (our SMSC), which routes it to the bound bearerbox.
      const handset = { msisdn: '447700900001', send: (payload: Buffer) => smsc.sendMo({ sourceAddr: '447700900001', destinationAddr: '1234', dataCoding: 0xf6, protocolId: 0x7f, udh: [{ iei: IEI.COMMAND_PACKET, data: Buffer.alloc(0) }], payload }) };
      expect(handsets.has(handset.msisdn)).toBe(false); // MO needs no registered handset; MT would.
      const id = await handset.send(PACKET);
      await waitFor(() => delivered.includes(id), 10_000, 'deliver_sm_resp from bearerbox');

      const accessLog = join(dir, 'access.log');
      await waitFor(() => existsSync(accessLog) && readFileSync(accessLog, 'utf8').includes('Receive SMS'), 10_000, 'access log line');
      const line = readFileSync(accessLog, 'utf8').split('\n').find((l) => l.includes('Receive SMS')) ?? '';
      expect(line).toContain('[SMSC:hsmsim]');
      expect(line).toContain('[from:447700900001]');
      expect(line).toContain('[to:1234]');
      // Kannel's flags are mclass:coding:...: class 2 (SIM) and 8-bit data, as data_coding 0xF6 says.
      expect(line).toContain('[flags:2:1:');
      expect(line).toContain(`[msg:${PACKET.length}:${PACKET.toString('hex').toUpperCase()}]`);
      expect(line).toContain('[udh:3:027000]');

      const status = await (await fetch(`http://127.0.0.1:${adminPort}/status.txt?password=adminpw`)).text();
      expect(status).toMatch(/SMS: received 1 /);
      expect(status).toMatch(/hsmsim\[hsmsim\]\s+SMPP:127\.0\.0\.1:\d+\/\d+:kannel: \(online/);
    } finally {
      if (child !== undefined && child.exitCode === null) {
        // bearerbox's graceful shutdown waits for an smsbox to take the queued MO; a second signal ends it.
        child.kill('SIGTERM');
        const again = setTimeout(() => child?.kill('SIGTERM'), 300);
        const hard = setTimeout(() => child?.kill('SIGKILL'), 5_000);
        await exited(child);
        clearTimeout(again);
        clearTimeout(hard);
      }
      await smsc.stop();
    }
  });
});
