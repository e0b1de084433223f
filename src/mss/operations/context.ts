import { createHash, randomBytes } from 'node:crypto';
import type { NewAuditEntry } from '../../audit';
import type { Approver } from '../../approval';
import type { Logger } from '../../log';
import type { ApRecord, MssRepository, MssTransactionRecord, TransactionOutcome } from '../../store';
import type { ApCheckContext } from '../aps/authenticate';
import type { MeshMember, MessageHeader } from '../messages/types';
import type { SignatureProfile } from '../profiles';
import type { SignatureValidation } from '../validation';
import type { RegistrationAuthority, SignatureTimeStamper } from '../../pki';
import { MssFault, statusName, type StatusCode } from '../status';
import type { TransactionEndings } from '../transaction-endings';

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
  /** Ends of transactions on any node, so a synch request wakes when another node ended its transaction. */
  readonly endings: TransactionEndings;
  /** Timers that expire transactions at their deadline; cleared on stop. */
  readonly timers: Set<NodeJS.Timeout>;
  /** Called once per transaction, by whoever ended it (asynchServerServer notifications start here). */
  readonly onEnded: (msspTransId: string, ended: MssTransactionRecord) => void;
  readonly notificationsEnabled: boolean;
  /** Trust anchors and revocation for the validation additional service; without it that service is refused. */
  readonly validation: SignatureValidation | undefined;
  /** The audit trail of requests and transaction ends; without it nothing is recorded (unit tests). */
  readonly audit: MssAudit | undefined;
  /** The platform TSA for the time-stamp additional service; without it that service is refused. */
  readonly signatureTimeStamper: SignatureTimeStamper | undefined;
  /** The RA behind MSS_Registration; without it registration is refused (407). */
  readonly registrationAuthority: RegistrationAuthority | undefined;
}

/** What the audit log needs from the service, and what it keeps as evidence of a signature. */
export interface MssAudit {
  append(entry: NewAuditEntry): Promise<unknown>;
  /** The evidence fetched when a signature arrives: the OCSP response for its signer, a time-stamp over it. */
  evidenceFor?(signature: Uint8Array): Promise<{ readonly ocspResponse?: Uint8Array; readonly timeStampToken?: Uint8Array }>;
}

/**
 * The entry of a transaction's end: actor the AP, subject `transaction:<MSSP_TransID>`, the status as outcome,
 * SHA-256 of the signature as evidence hash, and the OCSP response and time-stamp in the details (base64), so
 * the evidence bundle is rebuilt from the log alone. A failure to record is logged, never hidden, and does not
 * change the AP's answer.
 */
async function recordEnd(ctx: OperationContext, tx: MssTransactionRecord, outcome: TransactionOutcome): Promise<void> {
  const audit = ctx.audit;
  if (audit === undefined) return;
  const { msspTransId } = tx;
  try {
    const signature = outcome.signature ? Buffer.from(outcome.signature, 'base64') : undefined;
    let evidence: { readonly ocspResponse?: Uint8Array; readonly timeStampToken?: Uint8Array } = {};
    if (signature !== undefined && audit.evidenceFor !== undefined) {
      evidence = await audit.evidenceFor(signature).catch((err: unknown) => {
        ctx.logger.error({ err, msspTransId }, 'no OCSP response or time-stamp for the evidence of this signature');
        return {};
      });
    }
    await audit.append({
      actor: { type: 'ap', id: tx.apId },
      action: 'transaction.state',
      subject: `transaction:${msspTransId}`,
      outcome: `${outcome.statusCode} ${statusName(outcome.statusCode as StatusCode)}`,
      ...(signature !== undefined ? { evidenceHash: createHash('sha256').update(signature).digest() } : {}),
      details: {
        state: outcome.state,
        msisdn: tx.msisdn,
        apTransId: tx.apTransId,
        mode: tx.messagingMode,
        ...(evidence.ocspResponse !== undefined ? { ocspResponse: Buffer.from(evidence.ocspResponse).toString('base64') } : {}),
        ...(evidence.timeStampToken !== undefined ? { timeStampToken: Buffer.from(evidence.timeStampToken).toString('base64') } : {}),
      },
    });
  } catch (err) {
    ctx.logger.error({ err, msspTransId }, 'the end of this transaction is NOT in the audit log');
  }
}

/** The entry of an accepted request (before the citizen is asked): actor the AP, the data's SHA-256 as evidence. */
export async function recordRequest(ctx: OperationContext, tx: MssTransactionRecord, dataToBeSigned: Uint8Array): Promise<void> {
  if (ctx.audit === undefined) return;
  try {
    await ctx.audit.append({
      actor: { type: 'ap', id: tx.apId },
      action: 'ap.request',
      subject: `transaction:${tx.msspTransId}`,
      outcome: '100 REQUEST_OK',
      evidenceHash: createHash('sha256').update(dataToBeSigned).digest(),
      details: { operation: 'MSS_Signature', msisdn: tx.msisdn, apTransId: tx.apTransId, mode: tx.messagingMode, profile: tx.signatureProfile },
    });
  } catch (err) {
    ctx.logger.error({ err, msspTransId: tx.msspTransId }, 'this request is NOT in the audit log');
  }
}

/**
 * Ends an outstanding transaction and returns it as it now stands; undefined when it had already ended. The one
 * place an end is announced; the record comes back from the update itself, for the audit entry, the notifier and the caller.
 */
export async function endTransaction(ctx: OperationContext, msspTransId: string, outcome: TransactionOutcome): Promise<MssTransactionRecord | undefined> {
  const tx = await ctx.repo.endTransactionReturning(msspTransId, outcome);
  if (tx === undefined) return undefined;
  await recordEnd(ctx, tx, outcome);
  ctx.onEnded(msspTransId, tx);
  return tx;
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
