import { createLogger, type Logger } from '../../log';
import { PACKAGE_MAX_FRAME } from './codec';
import { SmppInvalidArgumentError } from './errors';
import type { BackoffPolicy } from './rate';

/**
 * Options of one ESME bind, every key documented where its default is defined, checked once at start-up
 * (a wrong value fails fast with the key's name). src/config will map its MSSP_SMPP_* keys onto these.
 */
export interface EsmeClientOptions {
  /** SMSC host name or address. */
  readonly host: string;
  /** SMSC TCP port. */
  readonly port: number;
  /** system_id we bind with (≤ 15 characters). */
  readonly systemId: string;
  /** password we bind with (≤ 8 characters). */
  readonly password: string;
  readonly systemType?: string;
  readonly addrTon?: number;
  readonly addrNpi?: number;
  readonly addressRange?: string;
  /** Name of this bind in logs and events. */
  readonly name?: string;
  readonly responseTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly window?: number;
  readonly submitsPerSecond?: number;
  readonly submitBurst?: number;
  readonly enquireLinkMs?: number;
  readonly reconnect?: BackoffPolicy;
  readonly throttleBackoff?: BackoffPolicy;
  readonly maxThrottleRetries?: number;
  readonly timeoutRetries?: number;
  readonly maxQueue?: number;
  readonly maxFrameLength?: number;
  readonly concatReferenceBits?: 8 | 16;
  readonly reassemblyTimeoutMs?: number;
  readonly logger?: Logger;
}

export interface OptionDoc {
  readonly doc: string;
  readonly default: string;
}

/** What each option means and its default, for the README and `mssp config docs`. */
export const ESME_OPTION_DOCS: Readonly<Record<Exclude<keyof EsmeClientOptions, 'logger'>, OptionDoc>> = {
  host: { doc: 'SMSC host name or address.', default: '(required)' },
  port: { doc: 'SMSC TCP port.', default: '(required)' },
  systemId: { doc: 'system_id of the bind_transceiver (at most 15 characters).', default: '(required)' },
  password: { doc: 'password of the bind_transceiver (at most 8 characters).', default: '(required)' },
  systemType: { doc: 'system_type of the bind (at most 12 characters).', default: "''" },
  addrTon: { doc: 'addr_ton of the bind.', default: '0' },
  addrNpi: { doc: 'addr_npi of the bind.', default: '0' },
  addressRange: { doc: 'address_range of the bind (which MO addresses this ESME serves).', default: "''" },
  name: { doc: 'Name of the bind in logs and events.', default: '<systemId>@<host>:<port>' },
  responseTimeoutMs: { doc: 'Time a request waits for its response; then it fails with SmppResponseTimeoutError.', default: '10000' },
  connectTimeoutMs: { doc: 'Time a TCP connect may take before it counts as failed.', default: '5000' },
  window: { doc: 'Requests outstanding (sent, unanswered) at once on this bind.', default: '10' },
  submitsPerSecond: { doc: 'Throttle: submit_sm per second on this bind (the SMSC contract rate).', default: '50' },
  submitBurst: { doc: 'Throttle: submit_sm that may go at once after a quiet spell.', default: '<window>' },
  enquireLinkMs: { doc: 'Silence after which we send enquire_link; unanswered, the connection is dropped and rebuilt. 0: off.', default: '30000' },
  reconnect: { doc: 'Back-off between reconnect attempts after a drop (initialMs, maxMs, factor, jitter).', default: '{ initialMs: 250, maxMs: 15000 }' },
  throttleBackoff: { doc: 'Back-off after ESME_RTHROTTLED / ESME_RMSGQFUL before sending again.', default: '{ initialMs: 200, maxMs: 10000 }' },
  maxThrottleRetries: { doc: 'ESME_RTHROTTLED / ESME_RMSGQFUL answers one segment may get before its message fails.', default: '30' },
  timeoutRetries: {
    doc: 'Times a submit whose response timed out is sent again. 0 keeps at-most-once: the message fails with SmppResponseTimeoutError, since the SMSC may have taken it.',
    default: '0',
  },
  maxQueue: { doc: 'Messages waiting or in flight before submit() refuses with SmppQueueFullError.', default: '10000' },
  maxFrameLength: { doc: `Largest command_length accepted from the SMSC (16..${PACKAGE_MAX_FRAME}).`, default: String(PACKAGE_MAX_FRAME) },
  concatReferenceBits: { doc: 'Concatenation reference size for long messages: 8 (IEI 0x00) or 16 (IEI 0x08).', default: '8' },
  reassemblyTimeoutMs: { doc: 'Time an incoming concatenated message may stay incomplete before it is dropped (with a log line).', default: '60000' },
};

export interface ResolvedEsmeOptions {
  readonly host: string;
  readonly port: number;
  readonly systemId: string;
  readonly password: string;
  readonly systemType: string;
  readonly addrTon: number;
  readonly addrNpi: number;
  readonly addressRange: string;
  readonly name: string;
  readonly responseTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly window: number;
  readonly submitsPerSecond: number;
  readonly submitBurst: number;
  readonly enquireLinkMs: number;
  readonly reconnect: BackoffPolicy;
  readonly throttleBackoff: BackoffPolicy;
  readonly maxThrottleRetries: number;
  readonly timeoutRetries: number;
  readonly maxQueue: number;
  readonly maxFrameLength: number;
  readonly concatReferenceBits: 8 | 16;
  readonly reassemblyTimeoutMs: number;
  readonly logger: Logger;
}

function int(key: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new SmppInvalidArgumentError(key, `must be an integer from ${min} to ${max}`);
  return v;
}

function rate(key: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new SmppInvalidArgumentError(key, 'must be a number > 0');
  return v;
}

function policy(key: string, value: BackoffPolicy | undefined, fallback: BackoffPolicy): BackoffPolicy {
  const v = value ?? fallback;
  if (!(v.initialMs >= 0) || !(v.maxMs >= v.initialMs) || (v.factor !== undefined && !(v.factor >= 1)) || (v.jitter !== undefined && !(v.jitter >= 0 && v.jitter <= 1))) {
    throw new SmppInvalidArgumentError(key, 'needs 0 ≤ initialMs ≤ maxMs, factor ≥ 1, 0 ≤ jitter ≤ 1');
  }
  return v;
}

function text(key: string, value: string | undefined, max: number, required: boolean): string {
  const v = value ?? '';
  if (required && v === '') throw new SmppInvalidArgumentError(key, 'is required');
  if (!/^[\x20-\x7e]*$/.test(v) || v.length > max) throw new SmppInvalidArgumentError(key, `must be printable ASCII of at most ${max} characters`);
  return v;
}

let defaultLogger: Logger | undefined;

/** Applies the documented defaults and checks every value; throws SmppInvalidArgumentError naming the key. */
export function resolveEsmeOptions(o: EsmeClientOptions): ResolvedEsmeOptions {
  const window = int('window', o.window, 10, 1, 1000);
  const host = text('host', o.host, 255, true);
  const port = int('port', o.port, 0, 1, 65535);
  const systemId = text('systemId', o.systemId, 15, true);
  return {
    host,
    port,
    systemId,
    password: text('password', o.password, 8, false),
    systemType: text('systemType', o.systemType, 12, false),
    addrTon: int('addrTon', o.addrTon, 0, 0, 255),
    addrNpi: int('addrNpi', o.addrNpi, 0, 0, 255),
    addressRange: text('addressRange', o.addressRange, 40, false),
    name: o.name ?? `${systemId}@${host}:${port}`,
    responseTimeoutMs: int('responseTimeoutMs', o.responseTimeoutMs, 10_000, 10, 600_000),
    connectTimeoutMs: int('connectTimeoutMs', o.connectTimeoutMs, 5_000, 10, 600_000),
    window,
    submitsPerSecond: rate('submitsPerSecond', o.submitsPerSecond, 50),
    submitBurst: int('submitBurst', o.submitBurst, window, 1, 100_000),
    enquireLinkMs: int('enquireLinkMs', o.enquireLinkMs, 30_000, 0, 3_600_000),
    reconnect: policy('reconnect', o.reconnect, { initialMs: 250, maxMs: 15_000 }),
    throttleBackoff: policy('throttleBackoff', o.throttleBackoff, { initialMs: 200, maxMs: 10_000 }),
    maxThrottleRetries: int('maxThrottleRetries', o.maxThrottleRetries, 30, 0, 1_000_000),
    timeoutRetries: int('timeoutRetries', o.timeoutRetries, 0, 0, 100),
    maxQueue: int('maxQueue', o.maxQueue, 10_000, 1, 10_000_000),
    maxFrameLength: int('maxFrameLength', o.maxFrameLength, PACKAGE_MAX_FRAME, 16, PACKAGE_MAX_FRAME),
    concatReferenceBits: o.concatReferenceBits === 16 ? 16 : checkBits(o.concatReferenceBits),
    reassemblyTimeoutMs: int('reassemblyTimeoutMs', o.reassemblyTimeoutMs, 60_000, 1, 86_400_000),
    logger: o.logger ?? (defaultLogger ??= createLogger({ name: 'smpp' })),
  };
}

function checkBits(value: number | undefined): 8 {
  if (value !== undefined && value !== 8) throw new SmppInvalidArgumentError('concatReferenceBits', 'must be 8 or 16');
  return 8;
}

export const OPTIONS_TABLE_BEGIN = '<!-- esme-options:begin (generated from ESME_OPTION_DOCS; a test keeps them equal) -->';
export const OPTIONS_TABLE_END = '<!-- esme-options:end -->';

/** The options table of README.md, generated from ESME_OPTION_DOCS. */
export function esmeOptionsMarkdown(): string {
  const rows = Object.entries(ESME_OPTION_DOCS).map(([key, d]) => `| \`${key}\` | ${d.doc} | \`${d.default}\` |`);
  return [OPTIONS_TABLE_BEGIN, '| option | meaning | default |', '|---|---|---|', ...rows, OPTIONS_TABLE_END].join('\n');
}
