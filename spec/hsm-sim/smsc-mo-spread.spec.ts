import { EsmeClient, concatElement, type InboundMessage } from '../../src/channel/smpp';
import type { SmscSimulator } from '../../hsm-sim/smsc/smsc-server';
import { boundClient, startSmsc, waitFor } from '../channel/smpp/support';

/**
 * The SMSC simulator's moSpread 'message' (for several platform nodes on one account): MO SMs go round-robin
 * per message over the account's binds, and the parts of a concatenated SM stay together on one bind.
 */
describe.each([['message', true] as const, ['subscriber', false] as const])('MO spread per %s', (spread, crosses) => {
  let smsc: SmscSimulator;
  const clients: EsmeClient[] = [];
  const got: InboundMessage[][] = [[], []];

  beforeAll(async () => {
    const started = await startSmsc({ moSpread: spread });
    smsc = started.smsc;
    for (const i of [0, 1]) {
      const c = await boundClient(started.port);
      c.on('message', (m) => got[i]?.push(m));
      clients.push(c);
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await smsc.stop();
  });

  test(crosses ? "one subscriber's messages alternate over both binds; a concatenated SM arrives whole on one" : "one subscriber's messages all take one bind", async () => {
    for (let i = 0; i < 6; i += 1) await smsc.sendMo({ sourceAddr: '447700900001', destinationAddr: '12345', dataCoding: 0xf6, payload: Buffer.from(`single ${i}`) });
    for (const reference of [7, 8]) {
      for (let part = 1; part <= 3; part += 1) {
        await smsc.sendMo({ sourceAddr: '447700900001', destinationAddr: '12345', dataCoding: 0xf6, udh: [concatElement(8, reference, 3, part)], payload: Buffer.from(`r${reference} part ${part} `) });
      }
    }
    await waitFor(() => got.flat().length === 8, 5_000, 'MO deliveries');
    const singles = got.map((list) => list.filter((m) => m.segments === 1).length);
    const joined = got.flat().filter((m) => m.segments === 3);
    expect(joined.map((m) => m.payload.toString()).sort()).toEqual(['r7 part 1 r7 part 2 r7 part 3 ', 'r8 part 1 r8 part 2 r8 part 3 ']);
    if (crosses) {
      expect(singles).toEqual([3, 3]);
      // The two concatenated SMs, one on each bind.
      expect(got.map((list) => list.filter((m) => m.segments === 3).length)).toEqual([1, 1]);
    } else {
      expect(singles.sort()).toEqual([0, 6]);
    }
  });
});
