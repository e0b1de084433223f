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
import { AppletChannel, ClockSeededCounters, MemorySimDirectory, isAppletChannelError, newTransactionRef, type CounterSource, type PorRelay, type RelayTopic, type SimProfile, type SmsTransport } from '../../../src/channel/sim';
import type { InboundMessage, OutboundMessage, SubmitResult } from '../../../src/channel/smpp';
import { silent } from '../smpp/support';

/**
 * The PoR relay of AppletChannel (src/channel/sim/por-relay.ts): two channels stand for two nodes bound to one
 * SMSC account, and the SMSC hands the SIM's PoR to the node that did not ask. A narrow unit test (SIM in memory,
 * topics in memory); the same over TCP, PostgreSQL and two processes is spec/mss/several-nodes.spec.ts.
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



/** Topics as the store's events behave: JSON copies, delivered later, to every subscriber including the sender's. */
function memoryTopic<T>(): RelayTopic<T> {
  const emitter = new EventEmitter();
  return {
    publish: async (payload) => {
      const copy = JSON.parse(JSON.stringify(payload)) as T;
      setImmediate(() => emitter.emit('event', copy));
    },
    subscribe: (handler) => {
      emitter.on('event', handler);
      return () => emitter.off('event', handler);
    },
  };
}

/** Two nodes: every PoR the SIM sends reaches node B, whoever asked. */
function twoNodes(options: { relay: boolean; unclaimedAfterMs?: number; timeoutMs?: number }) {
  const network = new FakeNetwork();
  const inbound = { a: new EventEmitter(), b: new EventEmitter() };
  network.on('message', (m: InboundMessage) => inbound.b.emit('message', m));
  const pors = memoryTopic<Parameters<PorRelay['pors']['publish']>[0]>();
  const claims = memoryTopic<Parameters<PorRelay['claims']['publish']>[0]>();
  // One counter source for both, as the store's counters are: a CNTR is never used twice.
  const counters: CounterSource = new ClockSeededCounters();
  const node = (name: 'a' | 'b'): AppletChannel => {
    const transport: SmsTransport = { submit: (m) => network.submit(m), on: (e, l) => inbound[name].on(e, l), off: (e, l) => inbound[name].off(e, l) };
    return new AppletChannel({
      transport,
      crypto: KEYS,
      sims: new MemorySimDirectory([PROFILE]),
      counters,
      shortCode: '12345',
      timeoutMs: options.timeoutMs ?? 2_000,
      logger: silent(),
      ...(options.relay ? { relay: { node: name, pors, claims, ...(options.unclaimedAfterMs !== undefined ? { unclaimedAfterMs: options.unclaimedAfterMs } : {}) } } : {}),
    });
  };
  return { network, a: node('a'), b: node('b') };
}

describe('AppletChannel PoR relay between nodes', () => {
  test("a PoR that reached node B answers node A's request; B counts it relayed, A claimed", async () => {
    const { a, b } = twoNodes({ relay: true });
    const result = await a.request(PROFILE.msisdn, request());
    expect(result.response.outcome).toBe('signed');
    await new Promise((r) => setTimeout(r, 20));
    expect(b.relayStats).toEqual({ relayed: 1, claimed: 0, unclaimed: 0 });
    expect(a.relayStats).toEqual({ relayed: 0, claimed: 1, unclaimed: 0 });
    a.close();
    b.close();
  });

  test('both nodes asking the same SIM in turn: each gets its own answer, wherever the PoR lands', async () => {
    const { a, b } = twoNodes({ relay: true });
    for (let i = 0; i < 3; i += 1) {
      expect((await a.request(PROFILE.msisdn, request(`a${i}`))).response.outcome).toBe('signed');
      expect((await b.request(PROFILE.msisdn, request(`b${i}`))).response.outcome).toBe('signed');
    }
    expect(a.relayStats.claimed).toBe(3);
    a.close();
    b.close();
  });

  test('without the relay the PoR is dropped at node B and node A times out (what the relay fixes)', async () => {
    const { a, b } = twoNodes({ relay: false, timeoutMs: 200 });
    const err = await a.request(PROFILE.msisdn, request()).catch((e: unknown) => e);
    expect(isAppletChannelError(err, 'TIMEOUT')).toBe(true);
    a.close();
    b.close();
  });

  test('a late PoR nobody waits for is relayed and then counted and logged as unclaimed', async () => {
    const { network, a, b } = twoNodes({ relay: true, unclaimedAfterMs: 50, timeoutMs: 100 });
    network.hold = true;
    const err = await a.request(PROFILE.msisdn, request()).catch((e: unknown) => e);
    expect(isAppletChannelError(err, 'TIMEOUT')).toBe(true);
    network.held[0]?.();
    await new Promise((r) => setTimeout(r, 150));
    expect(b.relayStats).toEqual({ relayed: 1, claimed: 0, unclaimed: 1 });
    expect(a.relayStats.claimed).toBe(0);
    a.close();
    b.close();
  });
});
