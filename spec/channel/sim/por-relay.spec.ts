import { EventEmitter } from 'node:events';
import { AppletChannel, ClockSeededCounters, MemorySimDirectory, isAppletChannelError, type CounterSource, type PorRelay, type RelayTopic, type SmsTransport } from '../../../src/channel/sim';
import type { InboundMessage } from '../../../src/channel/smpp';
import { silent } from '../smpp/support';
import { FakeNetwork, KEYS, PROFILE, request } from './fake-network';

/**
 * The PoR relay of AppletChannel (src/channel/sim/por-relay.ts): two channels stand for two nodes bound to one
 * SMSC account, and the SMSC hands the SIM's PoR to the node that did not ask. A narrow unit test (SIM in memory,
 * topics in memory); the same over TCP, PostgreSQL and two processes is spec/mss/several-nodes.spec.ts.
 */




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
