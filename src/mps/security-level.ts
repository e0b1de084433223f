import type { Store } from '../store';
import { MpsError } from './errors';
import { formatAmount } from './money';

/**
 * Limits by security level (issue 7 item 9): a merchant's agreement caps the amount of a payment by the Y.2740
 * level at which the citizen approves it. The level comes from the approval path the payer is reached by (a SIM
 * signature with PIN is level 4); levels 1 and 2 carry no signature key and are allowed no payments unless the
 * agreement names a (small) cap for them; levels 3 and 4 have no cap unless the agreement names one.
 *
 * This is the hook the full Y.2740 work extends: it replaces `levelOf` (what level a citizen can approve at) and
 * may add checks, keeping `check()` as the one place an offer is judged before anything is shown or booked.
 */

export type SecurityLevel = 1 | 2 | 3 | 4;
export const SECURITY_LEVELS: readonly SecurityLevel[] = [1, 2, 3, 4];

export interface LevelCheck {
  readonly merchantId: string;
  readonly clientMsisdn: string;
  readonly currency: string;
  readonly amount: bigint;
}

export interface PaymentLevelPolicy {
  /** Throws AMOUNT_OVER_LEVEL_LIMIT when the agreement does not allow this amount at the approval's level. */
  check(request: LevelCheck): Promise<{ readonly level: SecurityLevel; readonly cap: bigint | null }>;
}

/** The cap when the agreement says nothing for a level: none for 3-4, nothing at all for 1-2. */
export function defaultCap(level: SecurityLevel): bigint | null {
  return level >= 3 ? null : 0n;
}

export function checkLevel(value: unknown): SecurityLevel {
  if (typeof value !== 'number' || !(SECURITY_LEVELS as readonly number[]).includes(value)) throw new MpsError('INVALID_REQUEST', 'a security level is 1, 2, 3 or 4');
  return value as SecurityLevel;
}

export function agreementLevelPolicy(options: { store: Store; levelOf: (msisdn: string) => Promise<SecurityLevel> }): PaymentLevelPolicy {
  return {
    async check(r) {
      const level = await options.levelOf(r.clientMsisdn);
      const agreed = await options.store.mpsAccess.levelLimit(r.merchantId, level, r.currency);
      const cap = agreed === undefined ? defaultCap(level) : agreed.maxAmount;
      if (cap !== null && r.amount > cap) {
        throw new MpsError(
          'AMOUNT_OVER_LEVEL_LIMIT',
          `the approval is at level ${level}; merchant ${r.merchantId} may take at most ${formatAmount(cap, r.currency)} ${r.currency} at that level`,
        );
      }
      return { level, cap };
    },
  };
}
