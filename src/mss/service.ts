import type { Approver } from '../approval';
import type { Logger } from '../log';
import type { EventBus, MssRepository } from '../store';
import { TransactionEndings } from './transaction-endings';
import { authenticateAp, type CallerInfo } from './aps/authenticate';
import { ApRateLimiter } from './aps/rate-limit';
import type { MeshMember, MssRequest, MssResponse } from './messages/types';
import { endTransaction, type MssAudit, type OperationContext } from './operations/context';
import type { RegistrationAuthority, SignatureTimeStamper } from '../pki';
import { mssHandshake, mssProfileQuery, mssReceipt, mssStatusQuery } from './operations/queries';
import { mssRegistration } from './operations/registration';
import { mssSignature } from './operations/signature';
import { Notifier, type NotificationSender } from './notifications';
import { DEFAULT_PROFILES, type SignatureProfile } from './profiles';
import type { SignatureValidation } from './validation';

export interface MssServiceOptions {
  readonly repo: MssRepository;
  readonly approver: Approver;
  readonly logger: Logger;
  /** How we name ourselves in MSSP_Info. */
  readonly msspId: MeshMember;
  readonly profiles?: readonly SignatureProfile[];
  readonly instantWindowMs?: number;
  readonly defaultTimeoutSeconds?: number;
  /** How asynchServerServer notifications reach APs (the SOAP binding's client); without it that mode is refused. */
  readonly notificationSender?: NotificationSender;
  readonly notificationFirstRetryMs?: number;
  readonly notificationMaxAttempts?: number;
  /** Enables the validation additional service (502/501/503 instead of 500). */
  readonly validation?: SignatureValidation;
  /** Records requests and transaction ends in the audit log, with the evidence of each signature. */
  readonly audit?: MssAudit;
  /** Enables the time-stamp additional service (a CAdES-T signature time-stamp inside the CMS). */
  readonly signatureTimeStamper?: SignatureTimeStamper;
  /**
   * The store's events: with several nodes on one database, the end of a transaction on any node wakes the synch
   * request waiting for it on this one. Without it only this process's endings are heard.
   */
  readonly events?: EventBus;
  /** Lets APs with the `registration` permission register and activate mobile IDs over MSS_Registration. */
  readonly registrationAuthority?: RegistrationAuthority;
}

/**
 * The TS 102 204 operations, binding-free: a validated request and who sent it in, a response (or an MssFault)
 * out. The SOAP and REST bindings in src/api call `handle`; nothing here knows about XML or HTTP.
 */
export class MssService {
  private readonly ctx: OperationContext;
  private readonly notifier: Notifier | undefined;

  constructor(options: MssServiceOptions) {
    const notifier = options.notificationSender
      ? new Notifier({
          repo: options.repo,
          sender: options.notificationSender,
          logger: options.logger,
          msspId: options.msspId,
          ...(options.notificationFirstRetryMs !== undefined ? { firstRetryMs: options.notificationFirstRetryMs } : {}),
          ...(options.notificationMaxAttempts !== undefined ? { maxAttempts: options.notificationMaxAttempts } : {}),
        })
      : undefined;
    this.notifier = notifier;
    const endings = new TransactionEndings(options.events, options.logger);
    this.ctx = {
      endings,
      notificationsEnabled: notifier !== undefined,
      validation: options.validation,
      audit: options.audit,
      signatureTimeStamper: options.signatureTimeStamper,
      registrationAuthority: options.registrationAuthority,
      onEnded: (id, ended) => {
        notifier?.transactionEnded(id, ended);
        endings.announce(id);
      },
      repo: options.repo,
      approver: options.approver,
      logger: options.logger,
      msspId: options.msspId,
      profiles: options.profiles ?? DEFAULT_PROFILES,
      apChecks: { repo: options.repo, limiter: new ApRateLimiter(), instantWindowMs: options.instantWindowMs ?? 5 * 60_000 },
      defaultTimeoutSeconds: options.defaultTimeoutSeconds ?? 120,
      inFlight: new Map(),
      timers: new Set(),
    };
  }

  /**
   * Ends outstanding transactions past their deadline (208), e.g. those a stopped node left behind; returns how
   * many. startMss runs it periodically; each node may, as only the first end of a transaction counts.
   */
  async expireOverdue(now = new Date()): Promise<number> {
    let count = 0;
    for (const tx of await this.ctx.repo.listOverdue(now, 500)) {
      if (await endTransaction(this.ctx, tx.msspTransId, { state: 'expired', statusCode: 208 })) count += 1;
    }
    if (count > 0) this.ctx.logger.info({ count }, 'expired overdue signature transactions');
    return count;
  }

  async handle(request: MssRequest, caller: CallerInfo): Promise<MssResponse> {
    const ap = await authenticateAp(request, caller, this.ctx.apChecks);
    switch (request.kind) {
      case 'MSS_SignatureReq':
        return mssSignature(this.ctx, ap, request);
      case 'MSS_StatusReq':
        return mssStatusQuery(this.ctx, ap, request);
      case 'MSS_ReceiptReq':
        return mssReceipt(this.ctx, ap, request);
      case 'MSS_ProfileReq':
        return mssProfileQuery(this.ctx, ap, request);
      case 'MSS_RegistrationReq':
        return mssRegistration(this.ctx, ap, request);
      case 'MSS_HandshakeReq':
        return mssHandshake(this.ctx, ap, request);
    }
  }

  /** Waits for approvals in flight (so their outcome is stored), then stops the expiry timers. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.ctx.inFlight.values()]);
    for (const t of this.ctx.timers) clearTimeout(t);
    this.ctx.timers.clear();
    this.ctx.endings.stop();
    await this.notifier?.stop();
  }
}
