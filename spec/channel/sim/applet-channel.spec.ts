import { EventEmitter } from 'node:events';
import { decodeRequest, encodeResponse, type AppletResponse, type SigningRequest } from '../../../src/channel/applet';
import {
  IEI_RESPONSE_PACKET,
  answerCommand,
  openCommandPacket,
  softwareOtaCrypto,
  userDataToPacket,
  type OtaCrypto,
} from '../../../src/channel/ota';
import { AppletChannel, ClockSeededCounters, MemorySimDirectory, isAppletChannelError, newTransactionRef, type SimProfile } from '../../../src/channel/sim';
import type { InboundMessage, OutboundMessage, SubmitResult } from '../../../src/channel/smpp';
import { silent } from '../smpp/support';

/**
 * AppletChannel against SIMs that run the real OTA codec in memory behind a fake SMS transport (a narrow
 * unit test: the path over TCP with SIMs in SoftHSM2 tokens is spec/hsm-sim/handset/e2e.spec.ts).
 */

const PROFILE: SimProfile = { msisdn: '35840000001', sim: '8935840000000000001', tar: Buffer.from('b00010', 'hex'), kic: { algorithm: 'AES-CBC', keyVersion: 1 }, kid: { algorithm: 'AES-CMAC', keyVersion: 1 } };
const KEYS = softwareOtaCrypto([
  { ref: { sim: PROFILE.sim, key: 'KIc', version: 1 }, secret: Buffer.alloc(16, 1) },
  { ref: { sim: PROFILE.sim, key: 'KID', version: 1 }, secret: Buffer.alloc(16, 2) },
]);

type Answer = (request: ReturnType<typeof decodeRequest>) => AppletResponse | undefined;

/** The network and a SIM: opens each command packet, answers with a PoR as MO after `delayMs`. */
class FakeNetwork extends EventEmitter {
  readonly submitted: OutboundMessage[] = [];
  counter = 0n;
  delayMs = 0;
  refuseSubmit = false;
  answer: Answer = (req) => ({ transactionRef: req.transactionRef, outcome: 'signed', signature: { format: 'raw', value: Buffer.from([1, 2, 3]) }, certificateRef: Buffer.alloc(32, 9) });
  /** PoRs held back (for the late-answer test). */
  readonly held: (() => void)[] = [];
  hold = false;

  constructor(private readonly simCrypto: OtaCrypto = KEYS) {
    super();
  }

  async submit(message: OutboundMessage): Promise<SubmitResult> {
    if (this.refuseSubmit) throw new Error('ESME_RSYSERR');
    this.submitted.push(message);
    const outcome = await openCommandPacket(message.payload, {
      sim: PROFILE.sim,
      crypto: this.simCrypto,
      log: silent(),
      lookupTar: (tar) => (tar.equals(Buffer.from(PROFILE.tar)) ? { minimumSecurity: { checksum: 'cc', ciphered: true, counter: 'higher' }, counter: this.counter } : undefined),
    });
    if (outcome.ok && outcome.counterToStore !== undefined) this.counter = outcome.counterToStore;
    const response = outcome.ok ? this.answer(decodeRequest(outcome.payload)) : undefined;
    const por = await answerCommand(outcome, this.simCrypto, response === undefined ? {} : { data: encodeResponse(response) });
    const send = (): void => {
      if (por === undefined) return;
      const inbound: InboundMessage = {
        sourceAddr: message.destinationAddr, sourceAddrTon: 0, sourceAddrNpi: 0, destinationAddr: message.sourceAddr, destAddrTon: 0, destAddrNpi: 0,
        dataCoding: 0xf6, esmClass: 0x40, protocolId: 0x7f, udh: [{ iei: IEI_RESPONSE_PACKET, data: Buffer.alloc(0) }],
        payload: userDataToPacket(IEI_RESPONSE_PACKET, por.submit ?? por.userData), segments: 1, bind: 'fake',
      };
      this.emit('message', inbound);
    };
    if (this.hold) this.held.push(send);
    else setTimeout(send, this.delayMs);
    return { id: message.id ?? 'x', messageIds: ['1'], segments: 1 };
  }
}

function request(text = 'Sign?'): SigningRequest {
  return { transactionRef: newTransactionRef(), operation: 'sign', displayText: text, toBeSigned: { kind: 'data', data: Buffer.from('d') }, keyReference: 'signing', algorithm: 'ecdsa-p256-sha256', signatureFormat: 'raw' };
}

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
