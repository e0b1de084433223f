import { softwareOtaCrypto } from '../../../src/channel/ota';
import { AppletChannel, ClockSeededCounters, MemorySimDirectory, isAppletChannelError } from '../../../src/channel/sim';
import { silent } from '../smpp/support';
import { FakeNetwork, KEYS, PROFILE, request } from './fake-network';

/**
 * AppletChannel against SIMs that run the real OTA codec in memory behind a fake SMS transport (a narrow
 * unit test: the path over TCP with SIMs in SoftHSM2 tokens is spec/hsm-sim/handset/e2e.spec.ts).
 */


function channelOver(network: FakeNetwork, timeoutMs = 2_000): AppletChannel {
  return new AppletChannel({ transport: network, crypto: KEYS, sims: new MemorySimDirectory([PROFILE]), counters: new ClockSeededCounters(), shortCode: '12345', timeoutMs, logger: silent() });
}

describe('AppletChannel', () => {
  test('a request goes out as a secured command packet and the checked response comes back', async () => {
    const network = new FakeNetwork();
    const channel = channelOver(network);
    const result = await channel.request('+35840000001', request());
    expect(result.response.outcome).toBe('signed');
    expect(result.por).toMatchObject({ status: 'por-ok', secured: true });
    const sent = network.submitted[0];
    expect(sent).toMatchObject({ destinationAddr: '35840000001', sourceAddr: '12345', protocolId: 0x7f, dataCoding: 0xf6, udh: [{ iei: 0x70 }] });
    expect(channel.pendingCount).toBe(0);
    channel.close();
  });

  test('requests to one MSISDN go one at a time, in order', async () => {
    const network = new FakeNetwork();
    network.delayMs = 30;
    const channel = channelOver(network);
    const first = channel.request(PROFILE.msisdn, request('first'));
    const second = channel.request(PROFILE.msisdn, request('second'));
    await new Promise((r) => setTimeout(r, 10));
    expect(network.submitted).toHaveLength(1);
    await first;
    await second;
    expect(network.submitted).toHaveLength(2);
    channel.close();
  });

  test('a late PoR of a request that timed out does not answer the next request', async () => {
    const network = new FakeNetwork();
    network.hold = true;
    const channel = channelOver(network, 100);
    const expired = await channel.request(PROFILE.msisdn, request('expired')).catch((e: unknown) => e);
    expect(isAppletChannelError(expired, 'TIMEOUT')).toBe(true);
    const next = channel.request(PROFILE.msisdn, request('next'), { timeoutMs: 2_000 });
    await new Promise((r) => setTimeout(r, 20));
    const [late, current] = network.held;
    late?.(); // the old PoR: its CNTR is not the waiting request's
    await new Promise((r) => setTimeout(r, 20));
    expect(channel.pendingCount).toBe(1);
    current?.();
    expect((await next).response.outcome).toBe('signed');
    channel.close();
  });

  test('a response with another transaction reference is BAD_RESPONSE', async () => {
    const network = new FakeNetwork();
    network.answer = () => ({ transactionRef: Buffer.from('other'), outcome: 'user-cancelled' });
    const channel = channelOver(network);
    const err = await channel.request(PROFILE.msisdn, request()).catch((e: unknown) => e);
    expect(isAppletChannelError(err, 'BAD_RESPONSE')).toBe(true);
    channel.close();
  });

  test('SIM keys out of step: the SIM answers rc-cc-ds-failed unsecured → POR_ERROR', async () => {
    const wrongSim = softwareOtaCrypto([
      { ref: { sim: PROFILE.sim, key: 'KIc', version: 1 }, secret: Buffer.alloc(16, 1) },
      { ref: { sim: PROFILE.sim, key: 'KID', version: 1 }, secret: Buffer.alloc(16, 3) },
    ]);
    const channel = channelOver(new FakeNetwork(wrongSim));
    const err = await channel.request(PROFILE.msisdn, request()).catch((e: unknown) => e);
    expect(isAppletChannelError(err, 'POR_ERROR') && err.detail).toEqual({ msisdn: PROFILE.msisdn, porStatus: 'rc-cc-ds-failed', secured: false });
    channel.close();
  });

  test('no OTA keys for the SIM on the platform: OTA_KEYS, nothing sent', async () => {
    const network = new FakeNetwork();
    const channel = new AppletChannel({ transport: network, crypto: softwareOtaCrypto([]), sims: new MemorySimDirectory([PROFILE]), counters: new ClockSeededCounters(), shortCode: '12345', logger: silent() });
    expect(isAppletChannelError(await channel.request(PROFILE.msisdn, request()).catch((e: unknown) => e), 'OTA_KEYS')).toBe(true);
    expect(network.submitted).toHaveLength(0);
    channel.close();
  });

  test('refusals before and at the SMSC: UNKNOWN_MSISDN, BAD_REQUEST, SUBMIT_FAILED; close() fails waiting requests with CLOSED', async () => {
    const network = new FakeNetwork();
    const channel = channelOver(network);
    expect(isAppletChannelError(await channel.request('1', request()).catch((e: unknown) => e), 'UNKNOWN_MSISDN')).toBe(true);
    expect(isAppletChannelError(await channel.request(PROFILE.msisdn, request('x'.repeat(200))).catch((e: unknown) => e), 'BAD_REQUEST')).toBe(true);
    network.refuseSubmit = true;
    expect(isAppletChannelError(await channel.request(PROFILE.msisdn, request()).catch((e: unknown) => e), 'SUBMIT_FAILED')).toBe(true);
    network.refuseSubmit = false;
    network.hold = true;
    const waiting = channel.request(PROFILE.msisdn, request());
    await new Promise((r) => setTimeout(r, 20));
    channel.close();
    expect(isAppletChannelError(await waiting.catch((e: unknown) => e), 'CLOSED')).toBe(true);
  });
});
