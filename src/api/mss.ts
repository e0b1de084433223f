import type { Config } from '../config';
import type { CallbackSigner } from './callback-signature';
import type { Logger } from '../log';
import { MssService, type MssServiceOptions } from '../mss/service';
import type { Route } from './http-server';
import { soapNotificationSender } from './soap/notification-client';
import { restRoutes } from './rest/route';
import { soapRoutes } from './soap/route';
import { DEFAULT_XML_LIMITS } from './soap/safe-xml';

export interface StartMssOptions extends Omit<MssServiceOptions, 'msspId' | 'instantWindowMs' | 'defaultTimeoutSeconds'> {
  /** The MSS keys of the platform configuration (src/config/definitions.ts); defaults when omitted. */
  readonly config?: Pick<Config, 'mssMaxRequestBytes' | 'mssInstantWindowSeconds' | 'mssDefaultTimeoutSeconds'>;
  readonly logger: Logger;
  /** Where APs reach the platform (for the WSDL); read on each ?wsdl, so it may be set once the listener is up. */
  readonly publicUrl: () => string;
  /** How we name ourselves in MSSP_Info. */
  readonly msspUri?: string;
  /** How often overdue transactions are looked for (default 5 s). */
  readonly sweepIntervalMs?: number;
  /** Signs MSS_Notification calls (X-MSSP-Signature), with the key that signs payment webhooks. */
  readonly callbackSigner?: CallbackSigner;
}

export interface RunningMss {
  readonly routes: readonly Route[];
  readonly service: MssService;
  /** Lets approvals in flight finish storing their outcome, then stops timers. Call before closing the store. */
  stop(): Promise<void>;
}

/**
 * The TS 102 204 service for the platform's HTTP server. Wiring in src/cli/start.ts:
 *   const mss = startMss({ config, repo: store.mss, approver, logger, publicUrl: () => url, validation });
 *   startHttpServer({ ..., routes: [...otherRoutes, ...mss.routes] });  …  await mss.stop(); await store.close();
 */
export function startMss(options: StartMssOptions): RunningMss {
  const { config } = options;
  const service = new MssService({
    notificationSender: soapNotificationSender(10_000, options.callbackSigner),
    ...options,
    ...(config ? { instantWindowMs: config.mssInstantWindowSeconds * 1000, defaultTimeoutSeconds: config.mssDefaultTimeoutSeconds } : {}),
    msspId: { uri: options.msspUri ?? 'http://mssp.invalid' },
  });
  const xmlLimits = config ? { ...DEFAULT_XML_LIMITS, maxBytes: config.mssMaxRequestBytes } : DEFAULT_XML_LIMITS;
  const routes = [
    ...soapRoutes({ service, logger: options.logger, publicUrl: options.publicUrl, xmlLimits }),
    ...restRoutes({ service, logger: options.logger, publicUrl: options.publicUrl }),
  ];
  // Transactions whose deadline passed while no timer of this process watched them (another node, a restart).
  const sweep = setInterval(() => {
    service.expireOverdue().catch((err: unknown) => options.logger.error({ err }, 'could not expire overdue transactions'));
  }, options.sweepIntervalMs ?? 5_000);
  sweep.unref();
  return {
    routes,
    service,
    stop: async () => {
      clearInterval(sweep);
      await service.stop();
    },
  };
}
