import { randomUUID } from 'node:crypto';

/**
 * A mobile ID: opaque and stable, so that it can be shown to relying parties and kept in their records while
 * the MSISDN it is bound to changes. A UUID (random, version 4) under the `mid:` prefix.
 */
export function newMid(): string {
  return `mid:${randomUUID()}`;
}

export function isMid(value: string): boolean {
  return /^mid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value);
}
