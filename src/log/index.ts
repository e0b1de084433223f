import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino must never print: PINs, passwords and key material would otherwise reach
 * log files that operators ship to third parties.
 */
export const REDACTED_PATHS: readonly string[] = [
  'pin',
  'soPin',
  'userPin',
  'password',
  'pkcs11Pin',
  'pkcs11SoPin',
  'databaseUrl',
  'privateKey',
  'secret',
  '*.pin',
  '*.soPin',
  '*.userPin',
  '*.password',
  '*.pkcs11Pin',
  '*.pkcs11SoPin',
  '*.databaseUrl',
  '*.privateKey',
  '*.secret',
];

export interface LoggerOptions {
  readonly level?: string;
  readonly name?: string;
  /** Where lines go; standard output when absent. Tests pass a stream to read what was logged. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    name: options.name ?? 'mssp',
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
