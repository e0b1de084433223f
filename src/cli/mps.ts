import type { Command } from 'commander';
import type { CallbackSigner } from '../api/callback-signature';
import type { Route } from '../api/http-server';
import type { LoadedConfig } from '../config';
import type { Hsm } from '../hsm';
import type { Logger } from '../log';
import type { AuditLog } from '../audit';
import type { Store } from '../store';
import type { CliOutput } from './output';
import { table } from './output';
import type { RunningPlatformMss } from './mss';

/**
 * Payments inside `mssp start`: the ledger, settlement, merchant offers approved through the MSS Approver (the SIM
 * channel), one-time tickets and the MPS REST API under /mps/v1; and `mssp mps …`, the operator's commands for
 * participants, accounts, merchants, payers, level caps and API keys. Only types at the top (see main.ts).
 */

export const CALLBACK_KEY_LABEL = 'callback';
const DEMO_KEY_SETTING = 'demo.mps.apiKey';
const DEMO_PSP_KEY_SETTING = 'demo.mps.pspKey';
const DEMO_BANK_KEY_SETTING = 'demo.mps.bankKey';
export const DEMO_BANK = 'demo-bank';
export const DEMO_MERCHANT = 'demo-shop';
export const DEMO_PSP = 'demo-psp';

/** The key that signs webhooks and MSS_Notification calls: ES256 in the platform token, made on first use. */
export async function openCallbackSigner(hsm: Hsm, label = CALLBACK_KEY_LABEL): Promise<CallbackSigner> {
  const { KeyNotFoundError } = await import('../hsm');
  let pair;
  try {
    pair = await hsm.findKeyPair({ label });
  } catch (err) {
    if (!(err instanceof KeyNotFoundError)) throw err;
    pair = await hsm.generateKeyPair({ type: 'EC', curve: 'P-256' }, { label });
  }
  if (pair.privateKey.keyType !== 'EC' || pair.privateKey.curve !== 'P-256') throw new Error(`the key labelled "${label}" is not an EC P-256 key (callbacks are ES256)`);
  const privateKey = pair.privateKey;
  const publicKey = await hsm.publicKeySpki(privateKey);
  return { algorithm: 'ES256', publicKey, sign: (data) => hsm.sign('ES256', privateKey, data) };
}

export interface PaymentsDemo {
  readonly url: string;
  readonly openapiUrl: string;
  readonly apiKey: string;
  readonly merchant: string;
  readonly pspKey: string;
  readonly bankKey: string;
  readonly callbackKeyUrl: string;
}

export interface RunningPlatformMps {
  readonly routes: readonly Route[];
  /** With --demo, the `payments` member of the sandbox line (URLs filled in once the listener is up). */
  demo(url: string): PaymentsDemo | undefined;
  stop(): Promise<void>;
}

async function demoKey(store: Store, keys: import('../mps').ApiKeys, setting: string, participantId: string, role: import('../mps').ApiRole): Promise<string> {
  const stored = await store.settings.get(setting);
  if (stored !== undefined && (await keys.authenticate(stored)) !== undefined) return stored;
  const made = await keys.create({ participantId, role, label: 'demo' });
  // The sandbox prints its keys at every start, so (like the demo AP password) the demo keeps them in the store.
  await store.settings.set(setting, made.key);
  return made.key;
}

/** The demo's bank, shop, PSP and citizens, made once and funded once (ids are idempotency keys). */
async function seedDemo(store: Store, ledger: import('../mps').Ledger, directory: import('../mps').MpsDirectory, msisdns: readonly string[]): Promise<void> {
  const exists = async (id: string): Promise<boolean> => (await store.ledger.participant(id)) !== undefined;
  const account = async (id: string, participantId: string, floor: bigint | null = 0n): Promise<void> => {
    if ((await store.ledger.account(id)) === undefined) await ledger.createAccount({ id, participantId, currency: 'EUR', floor });
  };
  if (!(await exists(DEMO_BANK))) await ledger.createParticipant({ id: DEMO_BANK, kind: 'bank', name: 'Demo Bank' });
  await account(`${DEMO_BANK}-issuance-EUR`, DEMO_BANK, null);
  if (!(await exists(DEMO_MERCHANT))) await ledger.createParticipant({ id: DEMO_MERCHANT, kind: 'merchant', name: 'Demo Shop', bankId: DEMO_BANK });
  await account(`${DEMO_MERCHANT}-EUR`, DEMO_MERCHANT);
  if (!(await exists(DEMO_PSP))) await ledger.createParticipant({ id: DEMO_PSP, kind: 'operator', name: 'Demo PSP', bankId: DEMO_BANK });
  const current = await store.mpsAccess.merchant(DEMO_MERCHANT);
  if (current === undefined) await directory.putMerchant({ participantId: DEMO_MERCHANT, accountId: `${DEMO_MERCHANT}-EUR`, pspId: DEMO_PSP });
  for (const msisdn of msisdns) {
    const id = `citizen-${msisdn.slice(1)}`;
    if (!(await exists(id))) await ledger.createParticipant({ id, kind: 'client', name: `Demo citizen ${msisdn}`, bankId: DEMO_BANK });
    await account(`${id}-EUR`, id);
    await directory.putPayer({ msisdn, accountId: `${id}-EUR` });
    await ledger.pay({ id: `demo-fund-${id}`, debitAccountId: `${DEMO_BANK}-issuance-EUR`, creditAccountId: `${id}-EUR`, currency: 'EUR', amount: '100000000' });
  }
}

export async function startPlatformMps(options: {
  readonly hsm: Hsm;
  readonly store: Store;
  readonly logger: Logger;
  readonly mss: RunningPlatformMss;
  readonly callbackSigner: CallbackSigner;
  readonly publicUrl: () => string;
  readonly auditLog?: Pick<AuditLog, 'append' | 'appendIn'>;
  readonly demo: boolean;
}): Promise<RunningPlatformMps> {
  const { hsm, store, logger, mss } = options;
  const mps = await import('../mps');
  const pki = await import('../pki');
  const { startMpsApi } = await import('../api/mps');

  const ledger = new mps.Ledger({ store, logger });
  // Settlement reports and demo tickets are signed with the platform's audit-signing identity (key and certificate
  // from `mssp ca init`); without a CA the platform still takes payments and refuses to sign reports.
  let identity: { signer: import('../pki').CmsSigner } | undefined;
  try {
    const service = await pki.loadServiceIdentity(hsm, store, 'audit-signing');
    const pair = await hsm.findKeyPair({ label: pki.PKI_KEY_LABELS.audit });
    identity = { signer: pki.hsmSigner(hsm, pair.privateKey, { algorithm: 'ES256', certificate: service.certificate.der, chain: service.chain }) };
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'no audit-signing certificate: settlement reports cannot be signed until `mssp ca init`');
  }
  const unsigned: import('../pki').CmsSigner = {
    algorithm: 'ES256',
    certificate: new Uint8Array(),
    sign: () => Promise.reject(new Error('no platform signing certificate: run `mssp ca init`')),
  };
  const settlement = new mps.Settlement({ store, signer: identity?.signer ?? unsigned, logger });
  const tickets = new mps.OneTimeTickets({ store, logger, issuers: options.demo && identity !== undefined ? new Map([[DEMO_BANK, { signer: identity.signer }]]) : new Map() });
  const directory = new mps.MpsDirectory(store);
  const validation = mss.validation;
  const verifier: import('../mps').ApprovalSignatureVerifier = {
    async verify(signature, content, msisdn) {
      if (validation === undefined) return { valid: false, reason: 'no CA: run `mssp ca init`' };
      return mps
        .cmsApprovalVerifier({
          trustAnchors: validation.trustAnchors,
          intermediates: validation.intermediates.map((c) => c.der),
          certificateCache: validation.certificateCache,
          revocation: await validation.revocation(),
          certificateFor: async (n) => (await mss.certificates.current(n))?.signature,
        })
        .verify(signature, content, msisdn);
    },
  };
  let api: import('../api/mps').MpsApi | undefined;
  const offers = new mps.OfferService({
    store,
    ledger,
    approver: mps.paymentApprover(mss.approver),
    verifier,
    directory: directory.payers(),
    logger,
    ...(options.auditLog !== undefined ? { audit: options.auditLog } : {}),
    // Every approval in this platform goes through the SIM applet with the signature PIN: level 4. The Y.2740 work
    // replaces this with the level of the channel and mobile ID actually used.
    levels: mps.agreementLevelPolicy({ store, levelOf: async () => 4 }),
    onFinal: (offer) => api?.offerEnded(offer),
  });
  const keys = new mps.ApiKeys(store);
  const started = startMpsApi({
    offers,
    ledger,
    settlement,
    tickets,
    directory,
    keys,
    answers: new mps.IdempotencyAnswers(store),
    signer: options.callbackSigner,
    logger,
    publicUrl: options.publicUrl,
  });
  api = started;
  // Offers a stopped node left unfinished are booked or expired, lapsed reservations released (OfferService.recover).
  const recovery = offers.startSweep(30_000);

  let demoKeys: { merchant: string; psp: string; bank: string } | undefined;
  if (options.demo && mss.demo !== undefined) {
    await seedDemo(store, ledger, directory, Object.values(mss.demo.msisdns));
    demoKeys = {
      merchant: await demoKey(store, keys, DEMO_KEY_SETTING, DEMO_MERCHANT, 'merchant'),
      psp: await demoKey(store, keys, DEMO_PSP_KEY_SETTING, DEMO_PSP, 'psp'),
      bank: await demoKey(store, keys, DEMO_BANK_KEY_SETTING, DEMO_BANK, 'bank'),
    };
  }
  return {
    routes: started.routes,
    demo: (url) =>
      demoKeys === undefined
        ? undefined
        : {
            url: `${url}/mps/v1`,
            openapiUrl: `${url}/mps/v1/openapi.json`,
            apiKey: demoKeys.merchant,
            merchant: DEMO_MERCHANT,
            pspKey: demoKeys.psp,
            bankKey: demoKeys.bank,
            callbackKeyUrl: `${url}/mps/v1/callback-key.pem`,
          },
    stop: async () => {
      await recovery.stop();
      await started.stop();
    },
  };
}

export interface MpsCommandContext {
  readonly config: () => LoadedConfig;
  readonly out: CliOutput;
}

async function withStore<T>(ctx: MpsCommandContext, fn: (store: Store, mps: typeof import('../mps')) => Promise<T>): Promise<T> {
  const { openPlatformStore } = await import('./platform');
  const mps = await import('../mps');
  const store = await openPlatformStore(ctx.config().config);
  try {
    await store.migrate();
    return await fn(store, mps);
  } finally {
    await store.close();
  }
}

export function registerMpsCommands(program: Command, ctx: MpsCommandContext): void {
  const { out } = ctx;
  const mpsCmd = program.command('mps').description('mobile payments: participants, accounts, merchants, payers, level caps, API keys');

  const participant = mpsCmd.command('participant').description('banks, merchants, clients and PSPs of the ledger');
  participant
    .command('add')
    .requiredOption('--id <id>', 'participant id')
    .requiredOption('--kind <kind>', 'bank, merchant, client, operator (PSPs are operators) or settlement')
    .requiredOption('--name <name>', 'display name (a merchant\'s is shown on the phone)')
    .option('--bank <id>', 'the bank it settles through (not for a bank)')
    .action(async (o: { id: string; kind: string; name: string; bank?: string }) => {
      await withStore(ctx, async (store, mps) => {
        const p = await new mps.Ledger({ store }).createParticipant({ id: o.id, kind: o.kind as import('../store').ParticipantKind, name: o.name, ...(o.bank !== undefined ? { bankId: o.bank } : {}) });
        out.result(`participant ${p.id} (${p.kind}) added`);
      });
    });
  participant
    .command('list')
    .option('--json', 'one JSON object per line')
    .action(async (o: { json?: boolean }) => {
      await withStore(ctx, async (store) => {
        const rows = await store.mpsAccess.listParticipants();
        if (o.json) for (const p of rows) out.result(JSON.stringify({ id: p.id, kind: p.kind, name: p.name, bankId: p.bankId }));
        else out.result(table([['id', 'kind', 'name', 'bank'], ...rows.map((p) => [p.id, p.kind, p.name, p.bankId])]));
      });
    });

  mpsCmd
    .command('account')
    .description('open a ledger account')
    .command('add')
    .requiredOption('--id <id>', 'account id')
    .requiredOption('--participant <id>', 'owner')
    .requiredOption('--currency <code>', 'ISO 4217')
    .option('--floor <minor>', 'lowest balance in minor units (0 default, negative allows overdraft, "none" for issuance)')
    .action(async (o: { id: string; participant: string; currency: string; floor?: string }) => {
      await withStore(ctx, async (store, mps) => {
        const floor = o.floor === undefined ? 0n : o.floor === 'none' ? null : BigInt(o.floor);
        const a = await new mps.Ledger({ store }).createAccount({ id: o.id, participantId: o.participant, currency: o.currency, floor });
        out.result(`account ${a.id} (${a.currency}) added`);
      });
    });

  const merchant = mpsCmd.command('merchant').description('merchants of the REST API');
  merchant
    .command('set')
    .description('register a merchant for the API, or change its account, webhook URL or PSP')
    .requiredOption('--id <id>', 'merchant participant id')
    .requiredOption('--account <id>', 'the account its offers are paid into')
    .option('--webhook-url <url>', 'where offer results are POSTed (signed)')
    .option('--psp <id>', 'the PSP allowed to redeem one-time tickets for it')
    .action(async (o: { id: string; account: string; webhookUrl?: string; psp?: string }) => {
      await withStore(ctx, async (store, mps) => {
        const m = await new mps.MpsDirectory(store).putMerchant({ participantId: o.id, accountId: o.account, webhookUrl: o.webhookUrl ?? null, pspId: o.psp ?? null });
        out.result(`merchant ${m.participantId} set (account ${m.accountId}${m.webhookUrl !== null ? `, webhook ${m.webhookUrl}` : ''})`);
      });
    });
  merchant.command('list').action(async () => {
    await withStore(ctx, async (store) => {
      const rows = await store.mpsAccess.listMerchants();
      out.result(table([['merchant', 'account', 'webhook URL', 'PSP'], ...rows.map((m) => [m.participantId, m.accountId, m.webhookUrl ?? '', m.pspId ?? ''])]));
    });
  });

  mpsCmd
    .command('payer')
    .description('payers reached by phone number')
    .command('add')
    .requiredOption('--msisdn <e164>', 'the citizen, +E.164')
    .requiredOption('--account <id>', 'the account offers in its currency are paid from')
    .action(async (o: { msisdn: string; account: string }) => {
      await withStore(ctx, async (store, mps) => {
        await new mps.MpsDirectory(store).putPayer({ msisdn: o.msisdn, accountId: o.account });
        out.result(`payer ${o.msisdn} pays from ${o.account}`);
      });
    });

  mpsCmd
    .command('limit')
    .description('caps by security level in a merchant agreement')
    .command('set')
    .requiredOption('--merchant <id>', 'merchant participant id')
    .requiredOption('--level <n>', 'Y.2740 security level 1-4', (v) => Number(v))
    .requiredOption('--currency <code>', 'ISO 4217')
    .requiredOption('--max <minor>', 'largest amount in minor units at that level')
    .action(async (o: { merchant: string; level: number; currency: string; max: string }) => {
      await withStore(ctx, async (store, mps) => {
        await new mps.MpsDirectory(store).merchant(o.merchant);
        const level = mps.checkLevel(o.level);
        const max = /^\d{1,19}$/.test(o.max) ? BigInt(o.max) : undefined;
        if (max === undefined || max > mps.INT64_MAX) throw new Error('--max is an integer in minor units');
        await store.mpsAccess.putLevelLimit({ merchantId: o.merchant, level, currency: mps.checkCurrency(o.currency), maxAmount: max });
        out.result(`merchant ${o.merchant}: at most ${o.max} ${o.currency} (minor units) at level ${level}`);
      });
    });

  const key = mpsCmd.command('key').description('API keys of the REST API');
  key
    .command('add')
    .description('make an API key; it is printed once and stored only as an scrypt hash')
    .requiredOption('--participant <id>', 'the participant it acts for')
    .requiredOption('--role <role>', 'merchant, psp or bank')
    .option('--tls-fingerprint <sha256>', 'require this TLS client certificate (SHA-256) with the key')
    .option('--label <text>', 'a note')
    .action(async (o: { participant: string; role: string; tlsFingerprint?: string; label?: string }) => {
      await withStore(ctx, async (store, mps) => {
        const made = await new mps.ApiKeys(store).create({
          participantId: o.participant,
          role: o.role as import('../mps').ApiRole,
          ...(o.tlsFingerprint !== undefined ? { tlsFingerprint: o.tlsFingerprint } : {}),
          ...(o.label !== undefined ? { label: o.label } : {}),
        });
        out.result(made.key);
        out.warn('this is the only time the key is shown: keep it now');
      });
    });
  key.command('list').action(async () => {
    await withStore(ctx, async (store) => {
      const rows = await store.mpsAccess.listApiKeys();
      out.result(table([['key id', 'participant', 'role', 'mTLS', 'label', 'created'], ...rows.map((k) => [k.id, k.participantId, k.role, k.tlsFingerprint !== null ? 'yes' : 'no', k.label ?? '', k.createdAt.toISOString()])]));
    });
  });
}
