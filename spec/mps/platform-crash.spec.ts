import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyStoredLog } from '../../src/audit';
import { openHsm } from '../../src/hsm';
import { offerTransferId, type RecoveryReport } from '../../src/mps';
import { Ledger } from '../../src/mps/ledger';
import { FINAL_OFFER_STATES, openStore, type OfferStateName, type Store, type StoreEngine } from '../../src/store';
import { openThrowawayPostgresStore, throwawaySchemaName } from '../../src/store/testing';
import { ensureToken } from '../../hsm-sim/softhsm';
import { makeTokenChain } from '../pki/support/token-pki';
import { TEST_DATABASE_URL } from '../support/postgres';
import { makeThrowAwayToken, type ThrowAwayToken } from '../support/softhsm';
import type { CrashWorkerSettings } from './platform-crash-worker';
import { expectBalanced } from './support';

/**
 * Issue 7, "Crash": the payment stack in a child process (store, platform token and audit log with checkpoints,
 * ledger, offers, a citizen whose SIM key in its own SoftHSM2 token signs real CMS) takes offers from three
 * merchants, four at a time, and is killed with SIGKILL at a random moment, CRASHES times; every new life starts
 * with recover(). After each kill the postings balance and every offer the child acknowledged as paid is paid,
 * once. After the last kill the offers' time runs out and one clean life recovers and takes a few more offers.
 * Then: every offer has exactly one final state; a paid one has one committed transfer with two postings and one
 * "paid" audit entry, any other has no money moved; no reservation is pending; the balances add up to the paid
 * offers; the audit log verifies.
 */
// Each life costs a process start (~2-3 s under swc); the 20 kills: MPS_CRASHES=20.
const CRASHES = Number(process.env.MPS_CRASHES ?? 4);
const WORKER = join(__dirname, 'platform-crash-worker.ts');
const OFFER_LIFE_MS = 3_000;
const IN_FLIGHT = 4;
const FUNDS = 100_000_000n;
const PAYERS: Record<string, string> = { '+3725550101': 'payer1-EUR', '+3725550102': 'payer2-EUR', '+3725550103': 'payer3-EUR' };
const MERCHANTS = ['shop1', 'shop2', 'shop3'];

interface Target {
  readonly store: Store;
  readonly arg: string;
}

const ENGINES: readonly (readonly [StoreEngine, () => Promise<Target>])[] = [
  [
    'sqlite',
    async () => {
      const file = join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'store', `platform-crash-${process.pid}-${randomBytes(6).toString('hex')}.sqlite`);
      return { store: await openStore({ sqliteFile: file }), arg: file };
    },
  ],
  [
    'postgres',
    async () => {
      const schema = throwawaySchemaName();
      return { store: await openThrowawayPostgresStore({ databaseUrl: TEST_DATABASE_URL, schema }), arg: schema };
    },
  ],
];

interface Life {
  readonly acked: Map<string, string>;
  readonly recovered: RecoveryReport[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

function runLife(settingsFile: string, confPath: string, killAfterMs?: number): Promise<Life> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', WORKER, settingsFile], {
      env: { ...process.env, SOFTHSM2_CONF: confPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = new Map<string, string>();
    const recovered: RecoveryReport[] = [];
    let stderr = '';
    let buffer = '';
    let armed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [what = '', rest = ''] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
        if (line === 'ready') continue;
        if (what === 'recovered') recovered.push(JSON.parse(rest) as RecoveryReport);
        else {
          // The clock for the kill starts with the load (the first offer), however slowly a crowded machine starts
          // the child, so every kill lands while offers are in flight.
          if (what === 'created' && !armed && killAfterMs !== undefined) {
            armed = true;
            setTimeout(() => child.kill('SIGKILL'), killAfterMs);
          }
          // The latest word on an offer: "created", then its end.
          acked.set(rest, what);
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ acked, recovered, code, signal, stderr }));
  });
}

describe.each(ENGINES)('platform crash on %s', (engine, open) => {
  let target: Target;
  let token: ThrowAwayToken;
  let base: Omit<CrashWorkerSettings, 'life' | 'offers'>;
  let dir: string;

  beforeAll(async () => {
    token = makeThrowAwayToken(`crash-${engine}`);
    const simLabel = `crash-sim-${engine}`;
    ensureToken(token.env, { label: simLabel, soPin: '5678', userPin: '0000' });
    const simHsm = await openHsm({ modulePath: token.env.modulePath, tokenLabel: simLabel, pin: '0000', poolSize: 2 });
    const chain = await makeTokenChain(simHsm, { label: 'sim', caAlgorithm: 'ES256', leafAlgorithm: 'ES256' });
    await simHsm.close();
    dir = join(token.env.tokenDir, '..');

    target = await open();
    await target.store.migrate();
    const ledger = new Ledger({ store: target.store });
    await ledger.createParticipant({ id: 'bank', kind: 'bank', name: 'Bank' });
    await ledger.createAccount({ id: 'issue', participantId: 'bank', currency: 'EUR', floor: null });
    for (const account of Object.values(PAYERS)) {
      const who = account.replace(/-EUR$/, '');
      await ledger.createParticipant({ id: who, kind: 'client', name: who, bankId: 'bank' });
      await ledger.createAccount({ id: account, participantId: who, currency: 'EUR' });
      await ledger.pay({ id: `fund-${who}`, debitAccountId: 'issue', creditAccountId: account, currency: 'EUR', amount: FUNDS });
    }
    for (const shop of MERCHANTS) {
      await ledger.createParticipant({ id: shop, kind: 'merchant', name: `Shop ${shop}`, bankId: 'bank' });
      await ledger.createAccount({ id: `${shop}-EUR`, participantId: shop, currency: 'EUR' });
    }
    base = {
      engine,
      target: target.arg,
      databaseUrl: TEST_DATABASE_URL,
      modulePath: token.env.modulePath,
      platformToken: { label: token.label, pin: token.userPin },
      simToken: { label: simLabel, pin: '0000', keyLabel: 'sim signer' },
      certificates: { root: chain.root.der.toString('base64'), issuing: chain.issuing.der.toString('base64'), leaf: chain.leaf.der.toString('base64') },
      payers: PAYERS,
      merchants: MERCHANTS,
      inFlight: IN_FLIGHT,
      offerLifeMs: OFFER_LIFE_MS,
    };
  });
  afterAll(async () => {
    await target?.store.close();
  });

  const settings = (life: string, offers: number): string => {
    const file = join(dir, `${life}.json`);
    writeFileSync(file, JSON.stringify({ ...base, life, offers } satisfies CrashWorkerSettings));
    return file;
  };

  /** Every offer of a life: ids are handed out in order, at most IN_FLIGHT at a time, so a longer gap is the end. */
  async function offersOf(life: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0, misses = 0; misses <= IN_FLIGHT; i += 1) {
      if ((await target.store.offers.offer(`${life}-${i}`)) === undefined) misses += 1;
      else {
        misses = 0;
        ids.push(`${life}-${i}`);
      }
    }
    return ids;
  }

  async function expectPaidOnce(id: string): Promise<void> {
    const states = (await target.store.offers.states(id)).map((s) => s.state);
    expect([id, states.filter((s) => s === 'paid').length]).toEqual([id, 1]);
    const transfer = (await target.store.ledger.transfers([offerTransferId(id)])).get(offerTransferId(id));
    expect([id, transfer?.state]).toEqual([id, 'committed']);
    expect([id, (await target.store.ledger.postingsOf(offerTransferId(id))).length]).toEqual([id, 2]);
  }

  it(`survives ${CRASHES} kill -9 during a payment load: no payment lost or doubled, no reservation left, the audit log verifies`, async () => {
    const acked = new Map<string, string>();
    const lives: string[] = [];
    const recovered: RecoveryReport[] = [];
    for (let crash = 0; crash < CRASHES; crash += 1) {
      const life = `L${crash}`;
      lives.push(life);
      const r = await runLife(settings(life, 1_000_000), token.env.confPath, Math.floor(Math.random() * 1_200));
      expect({ life, signal: r.signal, stderr: r.stderr }).toEqual({ life, signal: 'SIGKILL', stderr: '' });
      for (const [id, what] of r.acked) acked.set(id, what);
      recovered.push(...r.recovered);
      await expectBalanced(target.store);
      for (const [id, what] of acked) if (what === 'paid') await expectPaidOnce(id);
    }
    // Let every offer the kills left behind run out of time, then one clean life recovers them and takes more.
    await new Promise((r) => setTimeout(r, OFFER_LIFE_MS + 500));
    lives.push('final');
    const last = await runLife(settings('final', 12), token.env.confPath);
    expect({ code: last.code, stderr: last.stderr }).toEqual({ code: 0, stderr: '' });
    for (const [id, what] of last.acked) acked.set(id, what);
    recovered.push(...last.recovered);
    expect(last.recovered[0]).toMatchObject({ errors: 0, waiting: 0 });
    expect([...last.acked.values()].filter((what) => what === 'paid')).toHaveLength(12);

    expect(await target.store.offers.unfinished(10)).toEqual([]);
    const paidAmount = new Map<string, bigint>();
    let paidTotal = 0n;
    let paidCount = 0;
    const ends = new Map<OfferStateName, number>();
    const audit = await target.store.audit.entries({ limit: 1_000_000 });
    const paidEntries = new Map<string, number>();
    for (const e of audit) if (e.action === 'payment.event' && e.outcome === 'paid') paidEntries.set(e.subject ?? '', (paidEntries.get(e.subject ?? '') ?? 0) + 1);
    for (const life of lives) {
      for (const id of await offersOf(life)) {
        const offer = await target.store.offers.offer(id);
        if (offer === undefined) throw new Error(`offer ${id} vanished`);
        const states = (await target.store.offers.states(id)).map((s) => s.state);
        const finals = states.filter((s) => (FINAL_OFFER_STATES as readonly string[]).includes(s));
        expect([id, finals.length]).toEqual([id, 1]);
        const end = finals[0] as OfferStateName;
        ends.set(end, (ends.get(end) ?? 0) + 1);
        // What the child was told stands: an acknowledged end is the end.
        const told = acked.get(id);
        if (told !== undefined && told !== 'created') expect([id, end]).toEqual([id, told]);
        const transfer = (await target.store.ledger.transfers([offerTransferId(id)])).get(offerTransferId(id));
        if (end === 'paid') {
          await expectPaidOnce(id);
          expect(transfer?.amount).toBe(offer.amount);
          expect([id, paidEntries.get(`offer:${id}`)]).toEqual([id, 1]);
          paidAmount.set(offer.merchantAccountId, (paidAmount.get(offer.merchantAccountId) ?? 0n) + offer.amount);
          paidTotal += offer.amount;
          paidCount += 1;
        } else {
          // Not paid: either the ledger never heard of it, or its hold was released; no money moved.
          expect([id, transfer === undefined || transfer.state === 'voided' || transfer.state === 'expired']).toEqual([id, true]);
          expect([id, (await target.store.ledger.postingsOf(offerTransferId(id))).length]).toEqual([id, 0]);
          expect([id, paidEntries.get(`offer:${id}`)]).toEqual([id, undefined]);
        }
      }
    }
    for (const [id, what] of acked) if (what === 'paid') await expectPaidOnce(id);

    const accounts = await target.store.ledger.allAccounts();
    for (const a of accounts) expect([a.id, a.reserved]).toEqual([a.id, 0n]);
    const payersPosted = accounts.filter((a) => Object.values(PAYERS).includes(a.id)).reduce((sum, a) => sum + a.posted, 0n);
    expect(payersPosted).toBe(FUNDS * 3n - paidTotal);
    for (const shop of MERCHANTS) expect([shop, accounts.find((a) => a.id === `${shop}-EUR`)?.posted]).toEqual([shop, paidAmount.get(`${shop}-EUR`) ?? 0n]);
    await expectBalanced(target.store);

    const verdict = await verifyStoredLog(target.store);
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.checkpoints).toBeGreaterThan(0);

    // The final life's 12 and whatever the killed lives finished; every killed life had offers in flight.
    expect(paidCount).toBeGreaterThanOrEqual(12);
    for (const life of lives.slice(0, -1)) expect([life, (await offersOf(life)).length > 0]).toEqual([life, true]);
    expect(recovered.reduce((n, r) => n + r.examined, 0)).toBeGreaterThan(0);
    process.stdout.write(
      `platform crash on ${engine}: ${CRASHES} kills, ${paidCount} paid, ends ${JSON.stringify(Object.fromEntries(ends))}, recovered ${JSON.stringify(
        recovered.reduce((t, r) => ({ examined: t.examined + r.examined, paid: t.paid + r.paid, ended: t.ended + r.ended }), { examined: 0, paid: 0, ended: 0 }),
      )}, audit entries ${verdict.entries}, checkpoints ${verdict.checkpoints}\n`,
    );
  }, 60_000 + CRASHES * 10_000);
});
