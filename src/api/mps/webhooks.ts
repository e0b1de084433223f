import type { Logger } from '../../log';
import { signatureHeader, type CallbackSigner } from '../callback-signature';

/**
 * Webhooks to merchants: when an offer ends, its final view is POSTed as JSON to the merchant's registered URL,
 * signed (callback-signature.ts), and retried with doubling back-off until the merchant answers 2xx or the attempts
 * run out. Each attempt is signed afresh (a new `t`), the body stays the same, so the merchant de-duplicates on
 * the offer id and state. Delivery is best effort across restarts: the merchant can always GET the offer.
 */

export interface WebhookSenderOptions {
  readonly signer: CallbackSigner;
  readonly logger: Logger;
  readonly firstRetryMs?: number;
  readonly maxAttempts?: number;
  readonly timeoutMs?: number;
}

export class WebhookSender {
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private stopped = false;

  constructor(private readonly o: WebhookSenderOptions) {}

  /** Queues one delivery; never throws. */
  send(url: string, event: Record<string, unknown>, context: Record<string, string>): void {
    const run = this.deliver(url, Buffer.from(JSON.stringify(event), 'utf8'), context).catch((err: unknown) => this.o.logger.error({ err, ...context }, 'webhook failed unexpectedly'));
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  private async deliver(url: string, body: Buffer, context: Record<string, string>): Promise<void> {
    const maxAttempts = this.o.maxAttempts ?? 6;
    let wait = this.o.firstRetryMs ?? 1_000;
    for (let attempt = 1; attempt <= maxAttempts && !this.stopped; attempt += 1) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-mssp-signature': await signatureHeader(this.o.signer, body) },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) {
          this.o.logger.info({ component: 'mps.webhooks', attempt, ...context }, 'webhook delivered');
          return;
        }
        throw new Error(`the merchant answered HTTP ${res.status}`);
      } catch (err) {
        this.o.logger.warn({ component: 'mps.webhooks', attempt, err: err instanceof Error ? err.message : String(err), ...context }, 'webhook not delivered');
      }
      if (attempt < maxAttempts) await this.sleep(wait);
      wait *= 2;
    }
    if (!this.stopped) this.o.logger.error({ component: 'mps.webhooks', ...context }, 'webhook abandoned: the merchant can still GET the offer');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
      (timer as { unref?: () => void }).unref?.();
    });
  }

  /** Stops retrying; waits for attempts on the wire. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const [t, wake] of this.timers) {
      clearTimeout(t);
      wake();
    }
    this.timers.clear();
    await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => setTimeout(r, 2_000).unref())]);
  }
}
