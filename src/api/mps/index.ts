import type { Logger } from '../../log';
import type { ApiKeys, IdempotencyAnswers, Ledger, MpsDirectory, OfferService, OfferView, OneTimeTickets, Settlement } from '../../mps';
import { callbackKeyPem, type CallbackSigner } from '../callback-signature';
import type { Route } from '../http-server';
import { MPS_BASE_PATH } from './http';
import { mpsOpenApiDocument } from './openapi';
import { mpsOperations } from './operations';
import { mpsRoutes } from './routes';
import { offerJson } from './views';
import { WebhookSender } from './webhooks';

export { MPS_BASE_PATH } from './http';
export { mpsProblem, type MpsProblem } from './problem';
export { mpsOpenApiDocument } from './openapi';

export interface MpsApiOptions {
  readonly offers: OfferService;
  readonly ledger: Ledger;
  readonly settlement: Settlement;
  readonly tickets: OneTimeTickets;
  readonly directory: MpsDirectory;
  readonly keys: ApiKeys;
  readonly answers: IdempotencyAnswers;
  /** Signs webhooks (an HSM key; see callback-signature.ts). */
  readonly signer: CallbackSigner;
  readonly logger: Logger;
  readonly publicUrl: () => string;
  readonly clock?: () => Date;
  /** Offer life when the merchant names none. Default 120 s. */
  readonly defaultOfferSeconds?: number;
  readonly webhookFirstRetryMs?: number;
  readonly webhookMaxAttempts?: number;
}

export interface MpsApi {
  readonly routes: readonly Route[];
  /** Give this to OfferService as onFinal: it sends the merchant's webhook. */
  offerEnded(offer: OfferView): void;
  /** Lets offers under way and webhooks on the wire finish (bounded), then stops retrying. */
  stop(): Promise<void>;
}

/**
 * The MPS REST API for the platform's HTTP server. Wiring (src/cli/mps.ts):
 *   let api; const offers = new OfferService({ …, onFinal: (o) => api.offerEnded(o) }); api = startMpsApi({ offers, … });
 *   startHttpServer({ routes: [...other, ...api.routes] });  …  await api.stop();
 */
export function startMpsApi(o: MpsApiOptions): MpsApi {
  const clock = o.clock ?? (() => new Date());
  const running = new Set<Promise<unknown>>();
  const webhooks = new WebhookSender({ signer: o.signer, logger: o.logger, ...(o.webhookFirstRetryMs !== undefined ? { firstRetryMs: o.webhookFirstRetryMs } : {}), ...(o.webhookMaxAttempts !== undefined ? { maxAttempts: o.webhookMaxAttempts } : {}) });
  const startOffer = (id: string): void => {
    const run = o.offers.run(id).catch((err: unknown) => o.logger.warn({ component: 'mps.api', offer: id, err: err instanceof Error ? err.message : String(err) }, 'offer run ended with an error'));
    running.add(run);
    void run.finally(() => running.delete(run));
  };
  const operations = mpsOperations({ offers: o.offers, ledger: o.ledger, settlement: o.settlement, tickets: o.tickets, directory: o.directory, startOffer, clock, defaultOfferSeconds: o.defaultOfferSeconds ?? 120 });
  const pem = callbackKeyPem(o.signer.publicKey);
  const routes = mpsRoutes({
    operations,
    keys: o.keys,
    answers: o.answers,
    logger: o.logger,
    publicDocuments: [
      { path: '/openapi.json', contentType: 'application/json', body: () => JSON.stringify(mpsOpenApiDocument(`${o.publicUrl()}${MPS_BASE_PATH}`, operations)) },
      { path: '/callback-key.pem', contentType: 'application/x-pem-file', body: () => pem },
    ],
  });
  return {
    routes,
    offerEnded(offer) {
      o.directory
        .merchant(offer.merchantId)
        .then((m) => {
          if (m.webhookUrl !== null) webhooks.send(m.webhookUrl, { type: `offer.${offer.state}`, offer: offerJson(offer) }, { offer: offer.id, state: offer.state });
        })
        .catch((err: unknown) => o.logger.error({ err, offer: offer.id }, 'no webhook: the merchant could not be read'));
    },
    async stop() {
      await Promise.race([Promise.allSettled([...running]), new Promise((r) => setTimeout(r, 5_000).unref())]);
      await webhooks.stop();
    },
  };
}
