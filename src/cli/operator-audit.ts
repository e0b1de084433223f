import type { Config } from '../config';

/**
 * Every operator command that reaches the store or the token lands in the audit log (Y.2740: all actions of all
 * personnel are logged): who ran it, the command, its arguments with secrets masked, and how it ended. Only types
 * at the top (see main.ts).
 */

/** Commands that touch neither store nor token, or that record themselves (start writes platform.start/stop). */
const NOT_RECORDED = new Set(['config', 'conformance', 'start', 'help']);

/**
 * The audit log's own read-only commands (verify, tail, proof, public-key) are not recorded: an auditor runs them
 * against a read-only copy of the store as well as the live one, and reading the log changes nothing in it.
 */
const READ_ONLY_AUDIT = new Set(['verify', 'tail', 'proof', 'public-key']);

export function isRecordedCommand(path: readonly string[]): boolean {
  const [top, sub] = path;
  if (top === undefined || NOT_RECORDED.has(top)) return false;
  // Checking a bundle is offline work on the auditor's machine, which has no store to record into.
  if (top === 'evidence' && sub === 'verify') return false;
  return !(top === 'audit' && sub !== undefined && READ_ONLY_AUDIT.has(sub));
}

const SECRET_OPTION = /(pin|puk|password|passwd|passphrase|secret|token-pin|so-pin|key-material|otp)$/i;

/**
 * The arguments as typed, with the value of any option named like a secret replaced (both `--pin 1234` and
 * `--pin=1234`). Global options (-c FILE) stay: which configuration a command ran with is part of what happened.
 */
export function maskArguments(argv: readonly string[]): string[] {
  const masked: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = /^(--?[A-Za-z][\w-]*)=(.*)$/.exec(arg);
    if (eq !== null && SECRET_OPTION.test(eq[1] as string)) {
      masked.push(`${eq[1]}=[masked]`);
      continue;
    }
    masked.push(arg);
    if (/^--?[A-Za-z][\w-]*$/.test(arg) && SECRET_OPTION.test(arg) && i + 1 < argv.length) {
      masked.push('[masked]');
      i += 1;
    }
  }
  return masked;
}

export interface OperatorCommandRecord {
  /** The command's names from the top, e.g. ['ra', 'revoke']. */
  readonly path: readonly string[];
  /** argv after `mssp`. */
  readonly argv: readonly string[];
  readonly outcome: 'ok' | 'failed';
  readonly error?: string;
}

/** Appends one operator.command entry; resolves with its sequence number. */
export async function recordOperatorCommand(config: Config, record: OperatorCommandRecord): Promise<number> {
  const { openPlatformStore } = await import('./platform');
  const { AuditLog } = await import('../audit');
  const store = await openPlatformStore(config);
  try {
    const appended = await AuditLog.appendOnce(store, {
      actor: { type: 'operator', id: config.operatorName },
      action: 'operator.command',
      subject: `command:${record.path.join(' ')}`,
      outcome: record.outcome,
      details: {
        argv: maskArguments(record.argv),
        ...(record.error !== undefined ? { error: record.error.slice(0, 500) } : {}),
      },
    });
    return appended.seq;
  } finally {
    await store.close();
  }
}
