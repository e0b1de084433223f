import { readFileSync } from 'node:fs';
import { AuditLog, Checkpointer, openAuditSigner } from '../../src/audit';
import { openHsm, type Hsm } from '../../src/hsm';
import { cmsApprovalVerifier, OfferService, type PayerDirectory } from '../../src/mps';
import { Ledger } from '../../src/mps/ledger';
import { parseCertificate, trustAnchorFromCertificate } from '../../src/pki';
import { openStore, type Store } from '../../src/store';
import { SimApprover } from './sim-approver';

/**
 * Child process for platform-crash.spec.ts: the payment stack put together from the library calls `mssp start`
 * would make — the store (SQLite file or PostgreSQL schema), the platform token with the audit key, the audit log
 * with its checkpointer, the ledger, the offer service — and a citizen whose SIM key lives in its own SoftHSM2 token
 * and signs real CMS. On start it runs recover(), as a node must after a crash, then takes offers from a few
 * merchants at once until it is killed (or, with `offers: 0`, exits after recovering). Every acknowledged step is a
 * line on stdout, written only after the store committed it.
 *   node -r @swc-node/register spec/mps/platform-crash-worker.ts <settings.json>
 */
export interface CrashWorkerSettings {
  readonly engine: 'sqlite' | 'postgres';
  /** SQLite file or PostgreSQL schema. */
  readonly target: string;
  readonly databaseUrl: string;
  readonly modulePath: string;
  readonly platformToken: { readonly label: string; readonly pin: string };
  readonly simToken: { readonly label: string; readonly pin: string; readonly keyLabel: string };
  /** DER, base64. */
  readonly certificates: { readonly root: string; readonly issuing: string; readonly leaf: string };
  /** Payers by MSISDN (all sign with the one SIM key). */
  readonly payers: Readonly<Record<string, string>>;
  readonly merchants: readonly string[];
  /** Prefix of this life's offer ids, so lives never reuse one. */
  readonly life: string;
  /** How many offers to make; 0 only recovers. */
  readonly offers: number;
  readonly inFlight: number;
  readonly offerLifeMs: number;
}

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(settings: CrashWorkerSettings): Promise<void> {
  const s = settings;
  let platform: Hsm | undefined;
  let sim: Hsm | undefined;
  let store: Store | undefined;
  try {
    platform = await openHsm({ modulePath: s.modulePath, tokenLabel: s.platformToken.label, pin: s.platformToken.pin, poolSize: 2 });
    sim = await openHsm({ modulePath: s.modulePath, tokenLabel: s.simToken.label, pin: s.simToken.pin, poolSize: 2 });
    store =
      s.engine === 'postgres' ? await openStore({ databaseUrl: s.databaseUrl, sqliteFile: '', postgresSchema: s.target }) : await openStore({ sqliteFile: s.target });
    await store.migrate();
    const { signer } = await openAuditSigner(platform, { keys: store.keys });
    const audit = await AuditLog.open({ store, signer });
    const checkpointer = new Checkpointer(audit, { everyEntries: 40, everyMs: 300 });
    await checkpointer.start();

    const der = (b64: string): Buffer => Buffer.from(b64, 'base64');
    const simKey = await sim.findKeyPair({ label: s.simToken.keyLabel });
    const approver = new SimApprover(sim, simKey.privateKey, der(s.certificates.leaf), [der(s.certificates.issuing)]);
    const directory: PayerDirectory = { accountFor: async (msisdn, currency) => (currency === 'EUR' ? s.payers[msisdn] : undefined) };
    const ledger = new Ledger({ store });
    const offers = new OfferService({
      store,
      ledger,
      audit,
      approver,
      directory,
      verifier: cmsApprovalVerifier({
        trustAnchors: [trustAnchorFromCertificate(parseCertificate(der(s.certificates.root)))],
        // Revocation is not what this test is about; the SIM's certificate is pinned per MSISDN instead.
        revocation: { mode: 'off' },
        certificateFor: async (msisdn) => (s.payers[msisdn] !== undefined ? der(s.certificates.leaf) : undefined),
      }),
    });

    say('ready');
    const report = await offers.recover();
    say(`recovered ${JSON.stringify(report)}`);

    const msisdns = Object.keys(s.payers);
    let next = 0;
    const one = async (): Promise<void> => {
      while (next < s.offers) {
        const i = next;
        next += 1;
        const id = `${s.life}-${i}`;
        const made = await offers.create({
          id,
          merchantId: s.merchants[i % s.merchants.length] ?? '',
          merchantAccountId: `${s.merchants[i % s.merchants.length] ?? ''}-EUR`,
          clientMsisdn: msisdns[i % msisdns.length] ?? '',
          currency: 'EUR',
          amount: String(100 + (i % 17)),
          reference: `INV-${id}`,
          expiresAt: new Date(Date.now() + s.offerLifeMs),
        });
        say(`created ${made.id}`);
        const ended = await offers.run(made.id);
        say(`${ended.state} ${made.id}`);
      }
    };
    await Promise.all(Array.from({ length: s.inFlight }, one));
    await checkpointer.stop();
    await audit.checkpoint();
  } finally {
    await store?.close();
    await sim?.close();
    await platform?.close();
  }
}

if (require.main === module) {
  const file = process.argv[2] ?? '';
  main(JSON.parse(readFileSync(file, 'utf8')) as CrashWorkerSettings).catch((err: unknown) => {
    process.stderr.write(`platform-crash-worker: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
