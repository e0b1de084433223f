import { randomBytes } from 'node:crypto';
import { socket4 } from '../../src/channel/smpp';

/**
 * ESME accounts of the SMSC simulator and the ids it issues.
 */

export interface SmscAccount {
  readonly systemId: string;
  readonly password: string;
  /** Addresses a bind may come from (IPv4 or IPv6 text); absent: any. */
  readonly allowedIps?: readonly string[];
  /** Throughput limit: submit_sm per second over all of the account's binds; beyond it, ESME_RTHROTTLED. */
  readonly submitsPerSecond?: number;
  /** How many submit_sm may come at once after a quiet spell (token bucket size). */
  readonly burst?: number;
  /** Destination addresses (short codes) whose MO traffic goes to this account. */
  readonly moAddresses?: readonly string[];
}

/** Reads an account list (JSON array), failing with a message that names the bad entry. */
export function parseAccounts(json: string): SmscAccount[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) throw new Error('accounts: expected a JSON array');
  return value.map((entry: unknown, i) => checkAccount(entry, `accounts[${i}]`));
}

function checkAccount(entry: unknown, where: string): SmscAccount {
  if (typeof entry !== 'object' || entry === null) throw new Error(`${where}: expected an object`);
  const e = entry as Record<string, unknown>;
  const str = (k: string, max: number): string => {
    const v = e[k];
    if (typeof v !== 'string' || v.length > max) throw new Error(`${where}.${k}: expected a string of at most ${max} characters`);
    return v;
  };
  const strings = (k: string): string[] | undefined => {
    const v = e[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new Error(`${where}.${k}: expected an array of strings`);
    return v as string[];
  };
  const num = (k: string): number | undefined => {
    const v = e[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !(v > 0)) throw new Error(`${where}.${k}: expected a number > 0`);
    return v;
  };
  const account: { -readonly [K in keyof SmscAccount]: SmscAccount[K] } = { systemId: str('systemId', 15), password: str('password', 8) };
  const ips = strings('allowedIps');
  if (ips !== undefined) account.allowedIps = ips;
  const mo = strings('moAddresses');
  if (mo !== undefined) account.moAddresses = mo;
  const rate = num('submitsPerSecond');
  if (rate !== undefined) account.submitsPerSecond = rate;
  const burst = num('burst');
  if (burst !== undefined) account.burst = burst;
  return account;
}

export function ipAllowed(account: SmscAccount, remoteAddress: string): boolean {
  if (account.allowedIps === undefined) return true;
  const ip = socket4(remoteAddress);
  return account.allowedIps.some((allowed) => socket4(allowed) === ip);
}

/**
 * message_id values: 16 hex digits, the first 6 random per simulator start so ids never repeat across a
 * restart (receipts are tied to them), the rest a counter.
 */
export class MessageIdGenerator {
  private counter = 0;
  private readonly prefix = randomBytes(3).toString('hex');

  next(): string {
    this.counter += 1;
    return `${this.prefix}${this.counter.toString(16).padStart(10, '0')}`;
  }
}
