import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isAppletChannelError, newTransactionRef } from '../../../src/channel/sim';
import type { SigningRequest } from '../../../src/channel/applet';
import { openHsm, type Hsm } from '../../../src/hsm';
import { DEMO_NUMBERS, startDemoChannel, type DemoChannel } from '../../../hsm-sim/handset/demo';
import { SOFTHSM_MODULE_PATH } from '../../../hsm-sim/softhsm';
import { makeThrowAwayToken } from '../../support/softhsm';
import { scratchDir, silent } from '../../channel/smpp/support';

/** `startDemoChannel` (what `mssp start --demo` calls): the demo numbers answer as documented. */

jest.setTimeout(60_000);

function request(): SigningRequest {
  return { transactionRef: newTransactionRef(), operation: 'sign', displayText: 'Demo?', toBeSigned: { kind: 'data', data: Buffer.from('demo') }, keyReference: 'signing', algorithm: 'ecdsa-p256-sha256', signatureFormat: 'raw' };
}

describe('demo numbers', () => {
  const dataDir = scratchDir('demo');
  let hsm: Hsm;
  let demo: DemoChannel;

  beforeAll(async () => {
    makeThrowAwayToken('mssp', '1234');
    hsm = await openHsm({ modulePath: SOFTHSM_MODULE_PATH, tokenLabel: 'mssp', pin: '1234', poolSize: 2 });
    demo = await startDemoChannel({ hsm, dataDir, userTimeoutMs: 300, timeoutMs: 3_000, logger: silent() });
  });

  afterAll(async () => {
    await demo?.close();
    await hsm?.close();
  });

  test('the range is 99900000001-006, provisioned into <dataDir>/demo-sims with OTA keys in the platform HSM', async () => {
    expect(demo.numbers.map((n) => n.msisdn)).toEqual(['99900000001', '99900000002', '99900000003', '99900000004', '99900000005', '99900000006']);
    expect(existsSync(join(dataDir, 'demo-sims', 'sims.json'))).toBe(true);
    const labels = (await hsm.listObjects()).map((o) => o.label);
    for (const r of demo.records) expect(labels).toEqual(expect.arrayContaining([`ota/${r.iccid}/KIc/1`, `ota/${r.iccid}/KID/1`]));
  });

  test('001 approves, 002 cancels, 003 ends blocked (and stays so), 004 never answers, 006 lets the applet time out', async () => {
    const [approve, cancel, blocked, off, , ignore] = DEMO_NUMBERS.map((n) => n.msisdn);
    expect((await demo.channel.request(approve as string, request())).response.outcome).toBe('signed');
    expect((await demo.channel.request(cancel as string, request())).response.outcome).toBe('user-cancelled');
    expect((await demo.channel.request(blocked as string, request())).response.outcome).toBe('pin-blocked');
    expect((await demo.channel.request(blocked as string, request())).response.outcome).toBe('pin-blocked');
    expect((await demo.channel.request(ignore as string, request())).response.outcome).toBe('timeout');
    const err = await demo.channel.request(off as string, request(), { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(isAppletChannelError(err, 'TIMEOUT')).toBe(true);
  });

  test('a second start over the same data folder reuses the SIM set and the HSM keys and works', async () => {
    await demo.close();
    demo = await startDemoChannel({ hsm, dataDir, userTimeoutMs: 300, timeoutMs: 3_000, logger: silent() });
    expect((await demo.channel.request('99900000001', request())).response.outcome).toBe('signed');
  });
});
