import { Command, CommanderError } from 'commander';
import { configTableMarkdown, describeConfig, loadConfig, type LoadedConfig } from '../config';
import { errorLine, table, terminalOutput } from './output';
import { registerAuditCommands } from './audit';
import { registerCaCommands } from './ca';
import { registerRaCommands } from './ra';
import { registerEvidenceCommands } from './evidence';
import { registerApCommands } from './ap';
import { registerSimCommands } from './sim';
import { registerMpsCommands } from './mps';

// Commands load their modules lazily so that `--help` and `config` work even where a native module (pkcs11js, sqlite3) is broken.
const out = terminalOutput();

function config(options: { config?: string }): LoadedConfig {
  const loaded = loadConfig(options.config ? { file: options.config } : {});
  return loaded;
}

/** Exit codes: 0 done, 1 the operation failed or was refused (one `mssp:` line), 2 a wrong command line. */
export const EXIT_USAGE = 2;

/** Set by commands whose outcome is a verdict rather than an error (a conformance run with failures). */
const verdict = { exitCode: 0 };

export function buildProgram(): Command {
  const program = new Command('mssp')
    .description('Mobile signature (ETSI TS 102 204) and mobile payment (ITU-T Y.2741) platform')
    .option('-c, --config <file>', 'JSON config file (same as MSSP_CONFIG_FILE)')
    .showHelpAfterError()
    .exitOverride();

  const globals = (): { config?: string } => program.opts<{ config?: string }>();

  program
    .command('init')
    .description('create the data folder, the SoftHSM2 token (when the module is SoftHSM2) and the store schema')
    .action(async () => {
      const loaded = config(globals());
      for (const w of loaded.warnings) out.warn(w);
      const { initPlatform } = await import('./init');
      await initPlatform(loaded.config, out);
    });

  program
    .command('start')
    .description('start the platform (HTTP listener with /healthz) on the configured token and store')
    .option('--demo', 'sandbox: demo SIMs and handsets behind a simulated SMSC, and a demo AP; prints one JSON line with what a relying party needs')
    .action(async (options: { demo?: boolean }) => {
      const { startPlatform } = await import('./start');
      const platform = await startPlatform(config(globals()), { demo: options.demo === true });
      if (platform.demo !== undefined) out.result(JSON.stringify({ demo: platform.demo }));
      out.result(`mssp listening on ${platform.url} (health: ${platform.url}/healthz)`);
      await new Promise<void>((resolveStop) => {
        const stop = (): void => {
          platform.stop().then(resolveStop, (err: unknown) => {
            process.stderr.write(`${errorLine(err)}\n`);
            resolveStop();
          });
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  program
    .command('migrate')
    .description('bring the store schema to the latest version')
    .option('--status', 'list applied and pending migrations without changing anything')
    .action(async (options: { status?: boolean }) => {
      const { openPlatformStore } = await import('./platform');
      const store = await openPlatformStore(config(globals()).config);
      try {
        if (options.status) {
          const status = await store.migrationStatus();
          for (const name of status.applied) out.result(`applied  ${name}`);
          for (const name of status.pending) out.result(`pending  ${name}`);
        } else {
          const { applied } = await store.migrate();
          out.result(applied.length > 0 ? `applied ${applied.join(', ')}` : 'store schema is up to date');
        }
      } finally {
        await store.close();
      }
    });

  const hsm = program.command('hsm').description('the PKCS#11 token');
  hsm
    .command('keys')
    .description('list the objects in the token (no key material is ever shown)')
    .action(async () => {
      const { openPlatformHsm } = await import('./platform');
      const token = await openPlatformHsm(config(globals()).config);
      try {
        const objects = await token.listObjects();
        const rows = objects.map((o) => [o.label, o.id, o.class, o.keyType ?? '', o.sensitive ? 'yes' : 'no', o.extractable ? 'yes' : 'no']);
        out.result(table([['label', 'id', 'class', 'type', 'sensitive', 'extractable'], ...rows]));
        out.result(`${objects.length} object(s)`);
      } finally {
        await token.close();
      }
    });

  const conformance = program.command('conformance').description('conformance suites run against this build or a deployment');
  conformance
    .command('pkits')
    .description('run every NIST PKITS case through our RFC 5280 path validation; one line per case and a total')
    .option('--dir <dir>', 'PKITS folder holding cases.json, certs/ and crls/ (default ../shared/pkits)')
    .action(async (options: { dir?: string }) => {
      const { main: runPkitsMain } = await import('../../conformance/pkits');
      verdict.exitCode = await runPkitsMain(options.dir ? ['--dir', options.dir] : []);
    });

  const cfg = program.command('config').description('the configuration');
  cfg
    .command('show')
    .description('print the configuration in force and where each value came from (secrets masked)')
    .action(() => {
      const loaded = config(globals());
      const rows = describeConfig(loaded).map((r) => [r.env, r.value, r.source]);
      out.result(table([['variable', 'value', 'from'], ...rows]));
      for (const w of loaded.warnings) out.warn(w);
    });
  cfg
    .command('docs')
    .description("print the README's configuration table, generated from the definitions")
    .action(() => out.result(configTableMarkdown()));

  registerAuditCommands(program, { config: () => config(globals()), out });
  registerCaCommands(program, { config: () => config(globals()), out });
  registerRaCommands(program, { config: () => config(globals()), out });
  registerEvidenceCommands(program, { config: () => config(globals()), out, verdict });
  registerApCommands(program, { config: () => config(globals()), out });
  registerSimCommands(program, { config: () => config(globals()), out });
  registerMpsCommands(program, { config: () => config(globals()), out });

  return program;
}

/** The names of a command from the top: ['ra', 'revoke']. */
function commandPath(command: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null && c.parent !== null; c = c.parent) names.unshift(c.name());
  return names;
}

/** Writes the operator.command entry of a command that ran; a failure to record is said, never hidden. */
async function recordCommand(program: Command, path: string[], argv: readonly string[], outcome: 'ok' | 'failed', err: unknown): Promise<void> {
  const { isRecordedCommand, recordOperatorCommand } = await import('./operator-audit');
  if (!isRecordedCommand(path)) return;
  try {
    await recordOperatorCommand(config(program.opts<{ config?: string }>()).config, {
      path,
      argv,
      outcome,
      ...(err !== undefined ? { error: err instanceof Error ? err.message : String(err) } : {}),
    });
  } catch (recordErr) {
    out.warn(`this command is NOT in the audit log: ${recordErr instanceof Error ? recordErr.message : String(recordErr)}`);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  let ran: string[] | undefined;
  program.hook('preAction', (_program, actionCommand) => {
    ran = commandPath(actionCommand);
  });
  let code: number;
  let failure: unknown;
  try {
    verdict.exitCode = 0;
    await program.parseAsync([...argv], { from: 'user' });
    code = verdict.exitCode;
  } catch (err) {
    failure = err;
    if (err instanceof CommanderError) {
      // Commander has printed what was wrong with the command line; 2 tells a usage error from a refused operation (1).
      // An argument refused inside an action is still a command that ran, and is recorded.
      code = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : EXIT_USAGE;
    } else {
      process.stderr.write(`${errorLine(err)}
`);
      code = 1;
    }
  }
  if (ran !== undefined) await recordCommand(program, ran, argv, code === 0 ? 'ok' : 'failed', failure);
  return code;
}

/** Entry point of bin/mssp.js. */
export function run(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${errorLine(err)}\n`);
      process.exitCode = 1;
    },
  );
}
