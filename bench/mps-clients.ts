import { performance } from 'node:perf_hooks';
import { SimInbox } from '../src/channel/sim';
import { storeMoCounters } from '../src/cli/mps-clients';
import { createLogger } from '../src/log';
import { ClientPayments, type ClientOrderResult } from '../src/mps';
import { composeOrder } from '../hsm-sim/handset/orders';
import { demoNumber, startClientWorld } from '../spec/mps/client-world';
import { postgresEngine, sqliteEngine, type StoreEngineCase } from '../spec/store/engines';

/**
 * Client-initiated payments end to end, on one machine: the demo handset composes an order, its SIM (SoftHSM2
 * tokens) takes the PIN and signs it as CMS, the handset sends the OTA-secured MO packet through the SMSC
 * simulator over TCP; the platform's SimInbox checks checksum and counter (stored), ClientPayments verifies the
 * CMS signature and path against the platform CA and the registered certificate, books one durable ledger
 * transfer, records the order and appends an audit entry. One order at a time per SIM (a phone sends one after
 * the other), the demo SIMs in parallel. Receipts to the phones are off here: they are a separate MT round trip
 * each, measured by the channel benchmark.
 *
 *   npm run bench -- mps-clients      BENCH_SECONDS=10 changes the run; BENCH_ENGINES=sqlite,postgres
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',');
const PAYERS = [0, 1, 2, 3, 4, 5].slice(0, Number(process.env.BENCH_SIMS ?? 6)).map(demoNumber);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(engine: StoreEngineCase): Promise<{ ordersPerSec: number; p50Ms: number; p99Ms: number; orders: number; refused: number }> {
  const w = await startClientWorld(`bench-${engine.engine}`, engine);
  try {
    for (const p of PAYERS) w.behaviours.set(p, { kind: 'approve' });
    const logger = createLogger({ level: 'silent' });
    const payments = new ClientPayments({ store: w.fx.store, ledger: w.ledger, directory: w.directory, verifier: w.verifier, audit: w.audit, logger });
    const inbox = new SimInbox({ transport: w.demo.transport, crypto: w.demo.otaCrypto, sims: w.demo.sims, counters: storeMoCounters(w.fx.store), logger });
    const waiting = new Map<string, (r: ClientOrderResult) => void>();
    inbox.onOrder(async (order, context) => {
      const result = await payments.receive(context.msisdn, { orderRef: order.orderRef, order: order.order, signature: order.signature });
      waiting.get(order.orderRef)?.(result);
    });
    const accounts = ['alice-EUR', 'bob-EUR', 'carol-EUR'];
    for (const [i, p] of PAYERS.entries()) {
      const account = accounts[i % accounts.length] as string;
      const view = await w.instruments.enrol({ id: `wallet-${i}`, clientMsisdn: p, kind: 'e-money', currency: 'EUR', ledgerAccountId: account, details: { provider: 'Bench', walletId: `w${i}` } });
      if (view.state !== 'active') throw new Error(`enrolment of ${p}: ${view.state} ${view.detail ?? ''}`);
    }
    await w.ledger.pay({ id: 'bench-funds-a', debitAccountId: 'bank-a-issuance-EUR', creditAccountId: 'alice-EUR', currency: 'EUR', amount: '1000000000' });
    await w.ledger.pay({ id: 'bench-funds-b', debitAccountId: 'bank-a-issuance-EUR', creditAccountId: 'bob-EUR', currency: 'EUR', amount: '1000000000' });
    await w.ledger.pay({ id: 'bench-funds-c', debitAccountId: 'bank-a-issuance-EUR', creditAccountId: 'carol-EUR', currency: 'EUR', amount: '1000000000' });
    const latencies: number[] = [];
    let refused = 0;
    const one = async (i: number, payer: string): Promise<void> => {
      const order = composeOrder({ payer, payee: { kind: 'merchant', accountId: 'shop-EUR' }, instrumentId: `wallet-${i}`, amount: 1n + BigInt(latencies.length % 500), currency: 'EUR', reference: 'bench' });
      const started = performance.now();
      const result = new Promise<ClientOrderResult>((resolve) => waiting.set(order.orderRef, resolve));
      const sent = await w.demo.sendOrder(payer, order);
      if (sent.outcome !== 'ready') throw new Error(`not sent: ${sent.outcome}`);
      const r = await result;
      waiting.delete(order.orderRef);
      if (r.outcome !== 'paid') refused += 1;
      latencies.push(performance.now() - started);
    };
    // Warm-up: one order per SIM, not counted.
    await Promise.all(PAYERS.map((p, i) => one(i, p)));
    latencies.length = 0;
    refused = 0;
    const start = performance.now();
    const end = start + SECONDS * 1000;
    await Promise.all(
      PAYERS.map(async (p, i) => {
        while (performance.now() < end) await one(i, p);
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    inbox.close();
    const sorted = [...latencies].sort((a, b) => a - b);
    return { ordersPerSec: Math.round((latencies.length / elapsed) * 10) / 10, p50Ms: Math.round(percentile(sorted, 50) * 10) / 10, p99Ms: Math.round(percentile(sorted, 99) * 10) / 10, orders: latencies.length, refused };
  } finally {
    await w.close();
  }
}

async function main(): Promise<void> {
  const figures: Record<string, unknown> = { sims: PAYERS.length, seconds: SECONDS };
  for (const name of ENGINES) {
    const engine = name === 'postgres' ? postgresEngine : sqliteEngine;
    const r = await measure(engine);
    process.stderr.write(`${name}: ${r.ordersPerSec} client orders/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms (${r.orders} orders, ${r.refused} refused)\n`);
    figures[name] = r;
  }
  const sqlite = figures.sqlite as { ordersPerSec: number; p99Ms: number } | undefined;
  process.stdout.write(`${JSON.stringify({ clientOrdersPerSec: sqlite?.ordersPerSec, clientOrderP99Ms: sqlite?.p99Ms, ...figures })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
