import type { AppletChannel, MoCounterStore } from '../channel/sim';
import type { ReceiptSender } from '../mps';
import type { Store } from '../store';

/**
 * Client-initiated payments inside `mssp start`: the SIM inbox (MO client orders over the SMSC bind) feeding
 * ClientPayments, receipts shown on the phone through the applet channel, and the counters the inbox's replay
 * guard needs kept in the store. Only types at the top (see main.ts): the modules load when the service starts.
 */

/** The last MO counter accepted from each SIM, in the store's counters table (`ota-mo/<ICCID>`), across restarts. */
export function storeMoCounters(store: Pick<Store, 'counters'>): MoCounterStore {
  const name = (sim: string): string => `ota-mo/${sim}`;
  return {
    last: async (sim) => (await store.counters.current(name(sim))) ?? 0n,
    accept: (sim, counter) => store.counters.advanceTo(name(sim), counter),
  };
}

/** Receipts as the applet's show-receipt: the phone shows the text until the client confirms it. */
export function appletReceipts(channel: Pick<AppletChannel, 'request'>, newRef: () => Buffer, timeoutMs = 60_000): ReceiptSender {
  return {
    async send(msisdn, text) {
      // The applet's display limit (160 GSM 7-bit septets): a long text is cut rather than the receipt lost.
      const displayText = text.length > 160 ? `${text.slice(0, 157)}...` : text;
      const result = await channel.request(msisdn, { transactionRef: newRef(), operation: 'show-receipt', displayText }, { timeoutMs });
      if (result.response.outcome !== 'displayed') throw new Error(`the phone answered ${result.response.outcome}`);
    },
  };
}
