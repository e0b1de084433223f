import type { Hsm } from '../../hsm';
import type { Logger } from '../../log';
import type { Store } from '../../store';
import { CrlService } from '../crl/service';
import { OcspResponder } from '../ocsp/responder';
import { StoreStatusSource } from '../ocsp/status-source';
import { RegistrationAuthority, type RegistrationAuthorityOptions } from '../ra/authority';
import { parseCertificate } from '../x509/certificate';
import { type LoadedCas, loadCas, loadServiceIdentity } from './load';
import { StatusFeed } from './status-feed';

export interface PkiRuntimeOptions {
  readonly hsm: Hsm;
  readonly store: Store;
  readonly logger?: Logger;
  /** How often the node looks for status changes made elsewhere and checks its CRLs. Default 1000 ms. */
  readonly pollMs?: number;
  /** nextUpdate − thisUpdate of OCSP responses. Default 3600 s. */
  readonly ocspValiditySeconds?: number;
  /** Signed OCSP responses kept for reuse (0 turns the cache off). Default 100,000. */
  readonly ocspCacheEntries?: number;
  /** Re-issue a CRL when this fraction of its lifetime has passed. Default 0.5. */
  readonly crlRefreshFraction?: number;
  readonly clock?: () => number;
  /** The RA's audit hook (see RegistrationAuthorityOptions.record). */
  readonly recordRaEvent?: RegistrationAuthorityOptions['record'];
}

/** What a running node serves: the OCSP responder, the CRLs, the CA certificates, and an RA wired to them. */
export interface PkiRuntime {
  readonly cas: LoadedCas;
  readonly responder: OcspResponder;
  readonly crls: CrlService;
  readonly ra: RegistrationAuthority;
  /** DER of a CA certificate by CA name ('root', 'issuing'), for the caIssuers URL. */
  caCertificate(name: string): Buffer | undefined;
  /** One round of the work the timer does: apply status changes made elsewhere, refresh CRLs. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Loads the CAs and the OCSP responder identity from the store and the token, publishes current CRLs, and keeps
 * both current: every `pollMs` it reads the status rows written since (by any process or node), drops what the
 * OCSP responder remembers about those certificates and re-makes the CRLs they affect.
 */
export async function startPkiRuntime(options: PkiRuntimeOptions): Promise<PkiRuntime> {
  const { hsm, store, logger } = options;
  const cas = await loadCas(hsm, store);
  const responderIdentity = await loadServiceIdentity(hsm, store, 'ocsp-responder');
  const responder = new OcspResponder({
    authority: { name: cas.issuing.name, certificate: cas.issuing.certificate },
    signer: { key: responderIdentity.key, certificate: responderIdentity.certificate.der },
    status: new StoreStatusSource(store),
    ...(options.ocspValiditySeconds !== undefined ? { validitySeconds: options.ocspValiditySeconds } : {}),
    ...(options.ocspCacheEntries !== undefined ? { cacheEntries: options.ocspCacheEntries } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(logger !== undefined ? { logger } : {}),
  });
  const responderCert = parseCertificate(responderIdentity.certificate.der);
  if (responderCert.notAfter < (options.clock ?? Date.now)() + 30 * 86_400_000) {
    logger?.warn({ serial: responderIdentity.certificate.serial, notAfter: new Date(responderCert.notAfter).toISOString() }, 'the OCSP responder certificate expires within 30 days');
  }
  const crls = new CrlService({
    store,
    cas: [cas.root, cas.issuing],
    ...(logger !== undefined ? { logger } : {}),
    ...(options.crlRefreshFraction !== undefined ? { refreshFraction: options.crlRefreshFraction } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
  });
  const feed = await StatusFeed.fromNow(store, options.clock !== undefined ? { clock: options.clock } : {});
  await crls.refresh();
  const ra = new RegistrationAuthority({
    store,
    issuer: () => Promise.resolve(cas.issuing),
    ...(options.recordRaEvent !== undefined ? { record: options.recordRaEvent } : {}),
    // A change made through this node is applied at once; the feed then delivers it again, harmlessly.
    onStatusChange: (ca, serial) => {
      responder.invalidate(ca, serial);
      void crls.refresh([ca]);
    },
  });
  const certificates = new Map<string, Buffer>([
    [cas.root.name, cas.root.der],
    [cas.issuing.name, cas.issuing.der],
  ]);

  let ticking: Promise<void> | undefined;
  const tick = (): Promise<void> => {
    ticking ??= (async () => {
      try {
        const changes = await feed.poll();
        const touched = new Set<string>();
        for (const row of changes) {
          responder.invalidate(row.issuerCa, row.serial);
          touched.add(row.issuerCa);
        }
        if (changes.length > 0) logger?.debug({ changes: changes.length }, 'certificate status changes applied');
        await crls.refresh(touched);
      } catch (err) {
        logger?.error({ err }, 'PKI status poll failed');
      } finally {
        ticking = undefined;
      }
    })();
    return ticking;
  };
  const timer = setInterval(() => void tick(), options.pollMs ?? 1000);
  timer.unref();
  logger?.info({ root: cas.root.record.subject, issuing: cas.issuing.record.subject, responder: responderIdentity.certificate.serial }, 'PKI started');

  return {
    cas,
    responder,
    crls,
    ra,
    caCertificate: (name) => certificates.get(name),
    tick,
    stop: async () => {
      clearInterval(timer);
      await ticking;
      await crls.idle();
    },
  };
}
