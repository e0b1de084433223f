import { randomBytes } from 'node:crypto';
import type { Approver } from '../../approval';
import type { Logger } from '../../log';
import type { ApRecord, MssRepository, MssTransactionRecord, TransactionOutcome } from '../../store';
import type { ApCheckContext } from '../aps/authenticate';
import type { MeshMember, MessageHeader } from '../messages/types';
import type { SignatureProfile } from '../profiles';
import type { SignatureValidation } from '../validation';
import { MssFault } from '../status';

/** What every operation gets: the store, the approver, our identity and the limits from the config. */
export interface OperationContext {
  readonly repo: MssRepository;
  readonly approver: Approver;
  readonly logger: Logger;
  readonly msspId: MeshMember;
  readonly profiles: readonly SignatureProfile[];
  readonly apChecks: ApCheckContext;
  readonly defaultTimeoutSeconds: number;
  /** Approvals in flight in this process, by MSSP_TransID, so a synch request can wait for its own. */
  readonly inFlight: Map<string, Promise<MssTransactionRecord>>;
  /** Timers that expire transactions at their deadline; cleared on stop. */
  readonly timers: Set<NodeJS.Timeout>;
  /** Called once per transaction, by whoever ended it (asynchServerServer notifications start here). */
  readonly onEnded: (msspTransId: string) => void;
  readonly notificationsEnabled: boolean;
  /** Trust anchors and revocation for the validation additional service; without it that service is refused. */
  readonly validation: SignatureValidation | undefined;
}

/** Ends an outstanding transaction; false when it had already ended. The one place an end is announced. */
export async function endTransaction(ctx: OperationContext, msspTransId: string, outcome: TransactionOutcome): Promise<boolean> {
  const ended = await ctx.repo.endTransaction(msspTransId, outcome);
  if (ended) ctx.onEnded(msspTransId);
  return ended;
}

export function newMsspTransId(): string {
  // NCName: must not start with a digit.
  return `M${randomBytes(12).toString('hex')}`;
}

/**
 * The header of our answer: the AP's AP_Info echoed (its password blanked: the schema needs the attribute, the
 * AP does not need its password back) and our MSSP_Info with the time of the answer.
 */
export function answerHeader(ctx: OperationContext, request: MessageHeader): MessageHeader {
  return {
    majorVersion: 1,
    minorVersion: 1,
    apInfo: { ...request.apInfo, apPwd: '' },
    msspInfo: { msspId: ctx.msspId, instant: new Date() },
  };
}

/** A transaction named by an AP must exist and be that AP's; anything else looks the same to it (101). */
export async function ownTransaction(ctx: OperationContext, ap: ApRecord, msspTransId: string): Promise<MssTransactionRecord> {
  const tx = await ctx.repo.findTransaction(msspTransId);
  if (!tx || tx.apId !== ap.apId) throw new MssFault(101, `no transaction ${msspTransId} for this AP`);
  return tx;
}
