import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Config, LoadedConfig } from '../config';
import type { AuditLog, TimeStamper, TimeStampVerifier, Witness } from '../audit';
import type { Route } from '../api/http-server';
import type { Hsm } from '../hsm';
import type { Logger } from '../log';
import type { Store } from '../store';
import { table, type CliOutput } from './output';

/**
 * `mssp audit …` and the wiring of the audit log into a running platform (startAudit). Only types are imported
 * at the top: main.ts registers these commands eagerly, and `--help` must work where a native module is broken.
 */

export interface AuditCommandContext {
  readonly config: () => LoadedConfig;
  readonly out: CliOutput;
}

function count(what: string, min = 0): (raw: string) => number {
  return (raw) => {
    if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min) {
      throw new InvalidArgumentError(`${what} must be an integer of at least ${min}`);
    }
    return Number(raw);
  };
}

/**
 * The platform TSA (src/pki/tsa) for checkpoints, and the check of their tokens for `mssp audit verify`. audit/ may
 * not import pki/, so this is where the two meet. Without a CA (`mssp ca init` not run) there is neither: checkpoints
 * are then made without tokens (and reported so, or refused when MSSP_AUDIT_REQUIRE_TIMESTAMP=true).
 */
export async function platformTimeStamping(config: Config, hsm: Hsm | undefined, store: Store, logger?: Logger): Promise<{ stamper?: TimeStamper; verifier?: TimeStampVerifier }> {
  const { openPlatformTsa, platformTimeStampVerifier, tsaStamper } = await import('./tsa');
  const verifier = await platformTimeStampVerifier(store);
  let stamper: TimeStamper | undefined;
  if (hsm !== undefined) {
    const { createLogger } = await import('../log');
    // A CLI's stdout carries its result: log lines go to stderr.
    const tsa = await openPlatformTsa(config, hsm, store, logger ?? createLogger({ level: config.logLevel, destination: process.stderr }));
    if (tsa !== undefined) stamper = tsaStamper(tsa);
  }
  return { ...(stamper !== undefined ? { stamper } : {}), ...(verifier !== undefined ? { verifier } : {}) };
}

async function configuredWitnesses(config: Config): Promise<Witness[]> {
  const { fileWitness, httpWitness } = await import('../audit');
  const witnesses: Witness[] = [];
  if (config.auditWitnessFile !== undefined) witnesses.push(fileWitness(config.auditWitnessFile));
  if (config.auditWitnessUrl !== undefined) witnesses.push(httpWitness(config.auditWitnessUrl));
  return witnesses;
}

async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const { openPlatformStore } = await import('./platform');
  const store = await openPlatformStore(config);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function withHsm<T>(config: Config, fn: (hsm: Hsm) => Promise<T>): Promise<T> {
  const { openPlatformHsm } = await import('./platform');
  const hsm = await openPlatformHsm(config);
  try {
    return await fn(hsm);
  } finally {
    await hsm.close();
  }
}

async function readPublicKeyFile(path: string): Promise<Buffer> {
  const { readFile } = await import('node:fs/promises');
  const { createPublicKey } = await import('node:crypto');
  try {
    return createPublicKey(await readFile(path)).export({ type: 'spki', format: 'der' });
  } catch (err) {
    throw new Error(`${path} is not a public key in PEM or DER: ${(err as Error).message}`, { cause: err });
  }
}

interface VerifyCommandOptions {
  publicKey?: string[];
  witnessFile?: string;
  requireTimestamps?: boolean;
  all?: boolean;
}

async function verifyCommand(loaded: LoadedConfig, options: VerifyCommandOptions, out: CliOutput): Promise<void> {
  const { config } = loaded;
  const audit = await import('../audit');
  await withStore(config, async (store) => {
    let trustedKeys: Buffer[] | undefined;
    let stamping: { verifier?: TimeStampVerifier } = {};
    if (options.publicKey !== undefined && options.publicKey.length > 0) {
      trustedKeys = await Promise.all(options.publicKey.map(readPublicKeyFile));
      stamping = await platformTimeStamping(config, undefined, store);
    } else {
      out.step(`reading the audit public key (label "${audit.AUDIT_KEY_LABEL}") from token "${config.pkcs11Token}"`);
      await withHsm(config, async (hsm) => {
        const key = await audit.auditPublicKey(hsm);
        trustedKeys = key === undefined ? undefined : [key];
        stamping = await platformTimeStamping(config, undefined, store);
      });
      if (trustedKeys === undefined && (await store.audit.latestCheckpoint()) !== undefined) out.warn(`the token has no key labelled "${audit.AUDIT_KEY_LABEL}": checkpoints are checked with the keys stored beside them`);
    }
    const witnessFile = options.witnessFile ?? config.auditWitnessFile;
    const { existsSync } = await import('node:fs');
    const witnessed = witnessFile !== undefined && existsSync(witnessFile) ? await audit.readWitnessFile(witnessFile) : undefined;
    if (witnessFile !== undefined && witnessed === undefined) out.warn(`witness file ${witnessFile} does not exist (yet)`);

    out.step(`verifying the audit log in the ${store.engine === 'postgres' ? 'PostgreSQL' : 'SQLite'} store`);
    let reported = 0;
    const verdict = await audit.verifyStoredLog(store, {
      ...(trustedKeys !== undefined ? { trustedKeys } : {}),
      ...(witnessed !== undefined ? { witnessed } : {}),
      ...(stamping.verifier !== undefined ? { timeStampVerifier: stamping.verifier } : {}),
      requireTimeStamps: options.requireTimestamps === true || config.auditRequireTimeStamp,
      stopAtFirstProblem: options.all !== true,
      onProgress: (n) => {
        if (n - reported >= 100_000) {
          reported = n;
          out.step(`${n} entries read`);
        }
      },
    });
    for (const warning of verdict.warnings) out.warn(warning);
    const [first, ...more] = verdict.problems;
    if (first !== undefined) {
      for (const problem of more) out.warn(audit.describeProblem(problem));
      throw new Error(audit.describeProblem(first));
    }
    const latest = verdict.latest === undefined ? 'no checkpoint yet' : `latest checkpoint ${verdict.latest.treeSize} at ${verdict.latest.time.toISOString()}`;
    out.result(
      `audit log verified: ${verdict.entries} entries, ${verdict.checkpoints} checkpoints (${verdict.stamped.length} time-stamped), root ${verdict.root.toString('base64')}; ${latest}`,
    );
  });
}

async function checkpointCommand(loaded: LoadedConfig, options: { json?: boolean }, out: CliOutput): Promise<void> {
  const { config } = loaded;
  const audit = await import('../audit');
  await withHsm(config, (hsm) =>
    withStore(config, async (store) => {
      const { signer, created } = await audit.openAuditSigner(hsm, { keys: store.keys });
      if (created) out.step(`made the audit key pair "${audit.AUDIT_KEY_LABEL}" (ES256) in token "${config.pkcs11Token}"`);
      const stamping = await platformTimeStamping(config, hsm, store);
      if (stamping.stamper === undefined) out.warn('no TSA is wired: the checkpoint will carry no time-stamp token');
      const log = await audit.AuditLog.open({
        store,
        signer,
        ...(stamping.stamper !== undefined ? { timeStamper: stamping.stamper } : {}),
        requireTimeStamps: config.auditRequireTimeStamp,
      });
      const outcome = await log.checkpoint();
      const witnesses = await configuredWitnesses(config);
      if (witnesses.length > 0) {
        const reports = await new audit.WitnessExporter(store, witnesses).exportPending();
        for (const r of reports) {
          if (r.error !== undefined) out.warn(`witness ${r.witness} did not take the checkpoints (kept, retried later): ${r.error.message}`);
          else if (r.exported.length > 0) out.step(`witness ${r.witness} now holds checkpoint(s) ${r.exported.join(', ')}`);
        }
      }
      const checkpoint = outcome.checkpoint;
      if (options.json && checkpoint !== undefined) {
        out.result(JSON.stringify(audit.checkpointToJson(checkpoint), null, 2));
        return;
      }
      if (!outcome.created) {
        out.result(`no new checkpoint: ${outcome.reason}`);
        return;
      }
      const stamped = outcome.checkpoint.timeStampToken === null ? 'NOT time-stamped' : 'time-stamped';
      out.result(`checkpoint ${outcome.checkpoint.treeSize}: root ${outcome.checkpoint.rootHash.toString('base64')} at ${outcome.checkpoint.time.toISOString()}, ${stamped}`);
    }),
  );
}

async function withLog<T>(config: Config, fn: (log: AuditLog) => Promise<T>): Promise<T> {
  const { AuditLog } = await import('../audit');
  return withStore(config, async (store) => fn(await AuditLog.open({ store })));
}

export function registerAuditCommands(program: Command, ctx: AuditCommandContext): void {
  const { out } = ctx;
  const audit = program.command('audit').description('the append-only, signed audit log: verify, checkpoint, proofs');

  audit
    .command('verify')
    .description('recompute the hash chain and the Merkle tree from the store and check every checkpoint (signature, time-stamp, consistency)')
    .option('--public-key <file>', 'trust this audit public key (PEM or DER; repeatable) instead of reading it from the token', (v: string, acc: string[] = []) => [...acc, v])
    .option('--witness-file <file>', 'check the store against the checkpoints a witness file holds (default MSSP_AUDIT_WITNESS_FILE)')
    .option('--require-timestamps', 'fail on a checkpoint without a time-stamp token (also MSSP_AUDIT_REQUIRE_TIMESTAMP=true)')
    .option('--all', 'go on after the first bad entry and list every problem')
    .action(async (options: VerifyCommandOptions) => verifyCommand(ctx.config(), options, out));

  audit
    .command('checkpoint')
    .description('sign (and time-stamp) the current tree head now, and push pending checkpoints to the configured witnesses')
    .option('--json', 'print the checkpoint as JSON (as GET /audit/checkpoints/latest gives it)')
    .action(async (options: { json?: boolean }) => checkpointCommand(ctx.config(), options, out));

  const proof = audit.command('proof').description('inclusion and consistency proofs against signed checkpoints (JSON, base64 hashes)');
  proof
    .command('inclusion')
    .description('prove entry SEQ is in the checkpoint of --size entries (default: the latest checkpoint)')
    .argument('<seq>', 'entry sequence number', count('SEQ'))
    .option('--size <n>', 'tree size of the checkpoint to prove against', count('--size', 1))
    .action(async (seq: number, options: { size?: number }) => {
      const { inclusionProofToJson } = await import('../audit');
      const p = await withLog(ctx.config().config, (log) => log.inclusionProof(seq, options.size));
      out.result(JSON.stringify(inclusionProofToJson(p), null, 2));
    });
  proof
    .command('consistency')
    .description('prove the checkpoint of SECOND entries extends the one of FIRST entries')
    .argument('<first>', 'tree size of the earlier checkpoint', count('FIRST', 1))
    .argument('<second>', 'tree size of the later checkpoint', count('SECOND', 1))
    .action(async (first: number, second: number) => {
      const { consistencyProofToJson } = await import('../audit');
      const p = await withLog(ctx.config().config, (log) => log.consistencyProof(first, second));
      out.result(JSON.stringify(consistencyProofToJson(p), null, 2));
    });

  audit
    .command('tail')
    .description('show the newest entries, newest first')
    .option('-n, --lines <n>', 'how many entries', count('-n', 1), 20)
    .option('--json', 'one JSON object per line')
    .action(async (options: { lines: number; json?: boolean }) => {
      const { entryToJson } = await import('../audit');
      const entries = await withLog(ctx.config().config, (log) => log.tail(options.lines));
      if (options.json) {
        for (const e of entries) out.result(JSON.stringify(entryToJson(e)));
        return;
      }
      const rows = entries.map((e) => [String(e.seq), e.time.toISOString(), `${e.actorType}:${e.actorId}`, e.action, e.subject, e.outcome]);
      out.result(table([['seq', 'time', 'actor', 'action', 'subject', 'outcome'], ...rows]));
    });

  audit
    .command('public-key')
    .description('print the audit public key (PEM) that checkpoint signatures verify with')
    .action(async () => {
      const { auditPublicKey, AUDIT_KEY_LABEL } = await import('../audit');
      const { config } = ctx.config();
      const spki = await withHsm(config, (hsm) => auditPublicKey(hsm));
      if (spki === undefined) throw new Error(`token "${config.pkcs11Token}" has no key labelled "${AUDIT_KEY_LABEL}"; the first mssp audit checkpoint makes it`);
      const lines = spki.toString('base64').match(/.{1,64}/g) ?? [];
      out.result(`-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----`);
    });
}

export interface RunningAudit {
  readonly log: AuditLog;
  readonly routes: Route[];
  stop(): Promise<void>;
}

/**
 * The audit log inside `mssp start`: the signer on the platform token, checkpoints every N entries or T ms,
 * witness export with retries, and the auditor routes. start.ts calls this after migrating the store.
 */
export async function startAudit(config: Config, hsm: Hsm, store: Store, logger: Logger, stamper?: TimeStamper): Promise<RunningAudit> {
  const audit = await import('../audit');
  const { auditRoutes } = await import('../api/audit-routes');
  const { signer } = await audit.openAuditSigner(hsm, { keys: store.keys });
  const stamping = stamper !== undefined ? { stamper } : await platformTimeStamping(config, hsm, store, logger);
  const log = await audit.AuditLog.open({
    store,
    signer,
    ...(stamping.stamper !== undefined ? { timeStamper: stamping.stamper } : {}),
    requireTimeStamps: config.auditRequireTimeStamp,
    logger,
  });
  const checkpointer = new audit.Checkpointer(log, { everyEntries: config.auditCheckpointEntries, everyMs: config.auditCheckpointMs, logger });
  await checkpointer.start();
  const exporter = new audit.WitnessExporter(store, await configuredWitnesses(config), { logger });
  exporter.start(log);
  return {
    log,
    routes: auditRoutes(log, { logger }),
    // A last checkpoint on the way out, so the entries of a quiet period (and the stop itself) are signed now
    // rather than at the next start; a failure is logged and the stop goes on.
    stop: async () => {
      await checkpointer.stop();
      await log.checkpoint().catch((err: unknown) => logger.error({ err }, 'the final audit checkpoint failed'));
      await exporter.exportPending().catch((err: unknown) => logger.error({ err }, 'exporting the final audit checkpoint failed'));
      await exporter.stop();
    },
  };
}
