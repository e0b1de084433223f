import type { Logger } from '../log';
import type { MssRepository, MssTransactionRecord } from '../store';
import type { ApInfo, MeshMember, MobileUser, ReceiptReq, StatusResp } from './messages/types';
import { STATUS_CODES, isStatusCode } from './status';

/**
 * asynchServerServer: when a transaction ends, the platform calls the AP's MSS_Notification endpoint with an
 * MSS_StatusResp and expects an MSS_ReceiptReq back; it retries with doubling back-off until the AP confirms
 * or the attempts run out. The binding (SOAP) is injected, so this file knows no XML or HTTP.
 */
export interface NotificationSender {
  /** Delivers one notification; resolves with the AP's receipt, rejects when it was not delivered. */
  send(url: string, notification: StatusResp): Promise<ReceiptReq>;
}

export interface NotifierOptions {
  readonly repo: MssRepository;
  readonly sender: NotificationSender;
  readonly logger: Logger;
  readonly msspId: MeshMember;
  /** First retry after this; each next one waits twice as long. */
  readonly firstRetryMs?: number;
  readonly maxAttempts?: number;
}

interface StoredRequest {
  readonly apInfo: Omit<ApInfo, 'apPwd' | 'instant'> & { readonly instant: string };
  readonly mobileUser: MobileUser;
}

export class Notifier {
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: NotifierOptions) {}

  /** Starts notifying for a transaction that has just ended, if its AP asked for asynchServerServer. */
  transactionEnded(msspTransId: string, ended?: MssTransactionRecord): void {
    // Most transactions are not asynchServerServer: no need to read them again to learn that.
    if (ended !== undefined && ended.messagingMode !== 'asynchServerServer') return;
    const run = this.deliver(msspTransId).catch((err: unknown) => this.options.logger.error({ err, msspTransId }, 'notification failed unexpectedly'));
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  private async deliver(msspTransId: string): Promise<void> {
    const { repo, logger } = this.options;
    const tx = await repo.findTransaction(msspTransId);
    if (!tx || tx.messagingMode !== 'asynchServerServer') return;
    const ap = await repo.findAp(tx.apId);
    const stored = JSON.parse(tx.request) as StoredRequest;
    const url = stored.apInfo.apUrl ?? ap?.notificationUrl ?? undefined;
    if (!url) {
      logger.warn({ msspTransId }, 'asynchServerServer transaction without a notification URL');
      return;
    }
    const notification = this.statusResp(tx, stored);
    const maxAttempts = this.options.maxAttempts ?? 5;
    let wait = this.options.firstRetryMs ?? 1_000;
    for (let attempt = 1; attempt <= maxAttempts && !this.stopped; attempt += 1) {
      try {
        const receipt = await this.options.sender.send(url, notification);
        if (receipt.msspTransId !== tx.msspTransId) throw new Error(`the AP's receipt names ${receipt.msspTransId}`);
        await repo.recordNotification(tx.msspTransId, true);
        logger.info({ msspTransId, attempt }, 'notification delivered');
        return;
      } catch (err) {
        await repo.recordNotification(tx.msspTransId, false);
        logger.warn({ msspTransId, attempt, err: err instanceof Error ? err.message : String(err) }, 'notification not delivered');
      }
      if (attempt < maxAttempts) await this.sleep(wait);
      wait *= 2;
    }
    logger.error({ msspTransId }, 'notification abandoned: the AP can still use MSS_StatusQuery');
  }

  private statusResp(tx: MssTransactionRecord, stored: StoredRequest): StatusResp {
    const code = tx.statusCode !== null && isStatusCode(tx.statusCode) ? tx.statusCode : 900;
    return {
      kind: 'MSS_StatusResp',
      majorVersion: 1,
      minorVersion: 1,
      apInfo: { ...stored.apInfo, instant: new Date(stored.apInfo.instant), apPwd: '' },
      msspInfo: { msspId: this.options.msspId, instant: new Date() },
      mobileUser: stored.mobileUser,
      ...(tx.signature !== null ? { signature: { base64Signature: tx.signature } } : {}),
      status: { code, message: STATUS_CODES[code].name },
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      timer.unref();
      this.timers.add(timer);
    });
  }

  /** Stops retrying; a delivery under way finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.pending]);
  }
}
