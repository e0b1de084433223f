import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate, verify } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import { AppletChannel, ClockSeededCounters, MemoryMoCounters, SimInbox, deviceOtaCrypto, newTransactionRef } from '../../../src/channel/sim';
import type { ClientOrder } from '../../../src/channel/applet';
import { parseOrder } from '../../../src/mps/clients';
import { parseSignedData } from '../../../src/pki';
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { EsmeClient } from '../../../src/channel/smpp';
import { openHsm, type Hsm } from '../../../src/hsm';
import { importOtaKeys, simDirectory } from '../../../hsm-sim/handset/platform';
import { readSimRecords } from '../../../hsm-sim/handset/sim-set';
import { SOFTHSM_MODULE_PATH } from '../../../hsm-sim/softhsm';
import { makeThrowAwayToken } from '../../support/softhsm';
import { ROOT, scratchDir, silent } from '../../channel/smpp/support';

/**
 * The deployment shape: the platform in this process, the SMSC simulator with its handsets in another
 * (hsm-sim/handset/main.ts, its SIM tokens under its own SOFTHSM2_CONF), SMPP over TCP between them.
 */

jest.setTimeout(60_000);

describe('platform process ↔ handsets process', () => {
  const sims = scratchDir('sims-proc');
  let child: ChildProcess;
  let hsm: Hsm;
  let esme: EsmeClient;
  let channel: AppletChannel;
  let inbox: SimInbox;
  const lines: Record<string, string>[] = [];

  beforeAll(async () => {
    makeThrowAwayToken('platform', '1234');
    hsm = await openHsm({ modulePath: SOFTHSM_MODULE_PATH, tokenLabel: 'platform', pin: '1234', poolSize: 2 });
    child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'hsm-sim', 'handset', 'main.ts'), '--sims', sims, '--first', '35870000000', '--count', '3', '--key-type', 'RSA-2048', '--port', '0', '--account', 'platform:secret', '--log-level', 'error', '--orders'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    const ready = await new Promise<{ port: number; count: number }>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`handsets exited with ${code}`)));
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        const msg = JSON.parse(line) as { handsets?: string; port: number; count: number };
        if (msg.handsets === 'ready') resolve(msg);
        else if (!('handsets' in msg)) lines.push(msg as unknown as Record<string, string>);
      });
    });
    expect(ready.count).toBe(3);
    const records = readSimRecords(sims);
    const keys = await importOtaKeys(hsm, records);
    esme = new EsmeClient({ host: '127.0.0.1', port: ready.port, systemId: 'platform', password: 'secret', enquireLinkMs: 0, logger: silent() });
    await esme.start();
    channel = new AppletChannel({ transport: esme, crypto: deviceOtaCrypto(hsm, undefined, keys), sims: simDirectory(records), counters: new ClockSeededCounters(), shortCode: '12345', timeoutMs: 10_000, logger: silent() });
    inbox = new SimInbox({ transport: esme, crypto: deviceOtaCrypto(hsm, undefined, keys), sims: simDirectory(records), counters: new MemoryMoCounters(), logger: silent() });
  });

  afterAll(async () => {
    inbox?.close();
    channel?.close();
    await esme?.close();
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await hsm?.close();
  });

  test('an RSA-2048 SIM in the other process signs; the PKCS#1 signature verifies with its certificate', async () => {
    const data = Buffer.from('transfer 100 EUR');
    for (const record of readSimRecords(sims)) {
      const result = await channel.request(record.msisdn, {
        transactionRef: newTransactionRef(),
        operation: 'payment-approval',
        displayText: 'Pay 100 EUR to ACME?',
        verificationCode: 'K2P9',
        toBeSigned: { kind: 'data', data },
        keyReference: 'signing',
        algorithm: 'rsa-pkcs1-sha256',
        signatureFormat: 'raw',
      });
      if (result.response.outcome !== 'signed') throw new Error(`expected signed, got ${result.response.outcome}`);
      expect(result.response.signature.value).toHaveLength(256);
      const cert = new X509Certificate(Buffer.from(record.certificates.sign, 'base64'));
      expect(verify('sha256', data, cert.publicKey, result.response.signature.value)).toBe(true);
    }
  });

  test('--orders: a handset in the other process signs a payment order and sends it as an MO secured packet', async () => {
    const [record] = readSimRecords(sims);
    if (record === undefined) throw new Error('no SIM');
    const received = new Promise<{ order: ClientOrder; msisdn: string }>((resolve) => inbox.onOrder(async (order, context) => resolve({ order, msisdn: context.msisdn })));
    child.stdin?.write(`${JSON.stringify({ from: record.msisdn, payee: 'merchant:shop-EUR', instrument: 'card-1', amount: '1250', currency: 'EUR', reference: 'from stdin' })}\n`);
    const { order, msisdn } = await received;
    expect(msisdn).toBe(`+${record.msisdn}`);
    expect(parseOrder(order.order)).toMatchObject({ payerMsisdn: `+${record.msisdn}`, payee: { kind: 'merchant', accountId: 'shop-EUR' }, amount: 1250n, currency: 'EUR', reference: 'from stdin' });
    // Signed by the SIM's signing key: the CMS signer is its certificate, and the signature verifies over the order.
    const certificate = Buffer.from(record.certificates.sign, 'base64');
    expect(Buffer.from(order.certificateRef).equals(createHash('sha256').update(certificate).digest())).toBe(true);
    expect(parseSignedData(order.signature).certificates.map((c) => Buffer.from(c).toString('base64'))).toContain(record.certificates.sign);
    writeFileSync(join(sims, 'order.sig'), order.signature);
    writeFileSync(join(sims, 'order.txt'), order.order);
    const checked = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(sims, 'order.sig'), '-content', join(sims, 'order.txt'), '-noverify', '-out', '/dev/null'], { encoding: 'utf8' });
    expect(checked.stderr).toMatch(/Verification successful/);
    writeFileSync(join(sims, 'order.txt'), Buffer.from(order.order.toString().replace('amount=1250', 'amount=9250')));
    expect(spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(sims, 'order.sig'), '-content', join(sims, 'order.txt'), '-noverify', '-out', '/dev/null'], { encoding: 'utf8' }).stderr).toMatch(/failure/i);
    await waitForLine(lines, order.orderRef);
    expect(lines).toContainEqual({ order: order.orderRef, from: record.msisdn, outcome: 'sent' });
  });
});

async function waitForLine(lines: readonly Record<string, string>[], orderRef: string): Promise<void> {
  for (let i = 0; i < 200 && !lines.some((l) => l.order === orderRef); i += 1) await new Promise((r) => setTimeout(r, 25));
}
