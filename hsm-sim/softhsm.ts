import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where Debian's softhsm2 package puts its PKCS#11 module. */
export const SOFTHSM_MODULE_PATH = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmEnvironment {
  /** Path of the project-local softhsm2.conf; export it as SOFTHSM2_CONF before C_Initialize. */
  readonly confPath: string;
  readonly tokenDir: string;
  readonly modulePath: string;
}

export interface TokenSpec {
  readonly label: string;
  readonly soPin: string;
  readonly userPin: string;
}

export class SoftHsmSetupError extends Error {
  override readonly name = 'SoftHsmSetupError';
}

/**
 * Creates (or reuses) a SoftHSM2 configuration under `dir`, never touching the system one,
 * so that every data folder and every test has tokens of its own.
 */
export function createSoftHsmEnvironment(
  dir: string,
  modulePath = SOFTHSM_MODULE_PATH,
  confPath = join(resolve(dir), 'softhsm2.conf'),
): SoftHsmEnvironment {
  const root = resolve(dir);
  const tokenDir = join(root, 'tokens');
  mkdirSync(tokenDir, { recursive: true, mode: 0o700 });
  if (!existsSync(confPath)) {
    writeFileSync(
      confPath,
      [
        '# Project-local SoftHSM2 configuration written by hsm-sim/softhsm.ts',
        `directories.tokendir = ${tokenDir}`,
        'objectstore.backend = file',
        'log.level = ERROR',
        'slots.removable = false',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
  }
  return { confPath, tokenDir, modulePath };
}

function softhsmUtil(env: SoftHsmEnvironment, args: readonly string[]): string {
  try {
    return execFileSync('softhsm2-util', args, {
      env: { ...process.env, SOFTHSM2_CONF: env.confPath },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') {
      throw new SoftHsmSetupError('softhsm2-util not found: install the Debian package softhsm2', { cause: err });
    }
    const detail = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n')[0] ?? '';
    throw new SoftHsmSetupError(`softhsm2-util ${args[0] ?? ''} failed: ${detail}`, { cause: err });
  }
}

/** Labels of the initialised tokens in this environment. */
export function listTokenLabels(env: SoftHsmEnvironment): string[] {
  const out = softhsmUtil(env, ['--show-slots']);
  const labels: string[] = [];
  let initialized = false;
  for (const line of out.split('\n')) {
    const init = /^\s*Initialized:\s*(yes|no)/.exec(line);
    if (init) initialized = init[1] === 'yes';
    const label = /^\s*Label:\s*(.*)$/.exec(line);
    if (label && initialized) labels.push((label[1] ?? '').trim());
  }
  return labels;
}

/** Initialises a token with the given label unless one already exists. Returns true when it made one. */
export function ensureToken(env: SoftHsmEnvironment, token: TokenSpec): boolean {
  if (listTokenLabels(env).includes(token.label)) return false;
  softhsmUtil(env, ['--init-token', '--free', '--label', token.label, '--so-pin', token.soPin, '--pin', token.userPin]);
  return true;
}

if (require.main === module) {
  // Usage: ts-node hsm-sim/softhsm.ts DIR LABEL SO_PIN USER_PIN
  const [dir, label, soPin, userPin] = process.argv.slice(2);
  if (!dir || !label || !soPin || !userPin) {
    process.stderr.write('usage: softhsm DIR LABEL SO_PIN USER_PIN\n');
    process.exit(2);
  }
  const env = createSoftHsmEnvironment(dir);
  const made = ensureToken(env, { label, soPin, userPin });
  process.stdout.write(`${made ? 'created' : 'kept'} token ${label}; export SOFTHSM2_CONF=${env.confPath}\n`);
}
