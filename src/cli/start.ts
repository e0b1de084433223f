import { hostname } from 'node:os';
import type { LoadedConfig } from '../config';
import { createLogger } from '../log';
import { startHttpServer, type Route, type RunningHttpServer } from '../api/http-server';
import { openPlatformHsm, openPlatformStore } from './platform';
import { pem, startPki, type RunningPki } from './ca';
import { startPlatformMss, type DemoInfo, type RunningPlatformMss, type SimChannelFactory } from './mss';
import { ROOT_CA } from '../pki';
import { startAudit, type RunningAudit } from './audit';
import { tsaStamper } from './tsa';
import { openCallbackSigner, startPlatformMps, type PaymentsDemo, type RunningPlatformMps } from './mps';
import { startMpsClients, type RunningMpsClients } from './mps-clients';

export interface RunningPlatform {
  readonly url: string;
  /** With --demo: what a relying-party developer needs (the line `mssp start --demo` prints). */
  readonly demo: DemoLine | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Demo SIMs and handsets behind a simulated SMSC, a demo AP (README "Sandbox"). */
  readonly demo?: boolean;
  /** A SIM channel set up by the caller (bench/mss: handsets behind an SMSC simulator in another process). */
  readonly simChannel?: SimChannelFactory;
}

export interface DemoLine {
  readonly soapUrl: string;
  readonly wsdlUrl: string;
  readonly restUrl: string;
  readonly openapiUrl: string;
  readonly apId: string;
  readonly apPassword: string;
  readonly caCertPem: string;
  readonly msisdns: DemoInfo['msisdns'];
  /** The MPS REST API with the demo shop's key; the demo citizens are its payers. */
  readonly payments?: PaymentsDemo;
  /** POST {from, payee, amount}: a demo handset pays a merchant or another number (README "Payments"). */
  readonly clientOrdersUrl?: string;
}

/** What this node calls itself in the audit log: host and process, so two nodes on one store are told apart. */
function nodeName(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * Opens the token and the store (failing fast with one clear error), migrates, starts the PKI services, the TSA
 * and the audit log, and serves HTTP. Stops in the reverse order, so the last checkpoint covers the stop entry.
 */
export async function startPlatform(loaded: LoadedConfig, options: StartOptions = {}): Promise<RunningPlatform> {
  const { config } = loaded;
  const logger = createLogger({ level: config.logLevel });
  for (const warning of loaded.warnings) logger.warn(warning);

  const hsm = await openPlatformHsm(config, logger);
  let http: RunningHttpServer | undefined;
  let pki: RunningPki | undefined;
  let audit: RunningAudit | undefined;
  let mss: RunningPlatformMss | undefined;
  let mps: RunningPlatformMps | undefined;
  let mpsClients: RunningMpsClients | undefined;
  let demo: DemoLine | undefined;
  try {
    const store = await openPlatformStore(config);
    try {
      const { applied } = await store.migrate();
      if (applied.length > 0) logger.info({ applied }, 'store migrated');
      // The PKI serves OCSP, CRLs, CA certificates and POST /tsa; its TSA also stamps the audit checkpoints.
      pki = await startPki(config, hsm, store, logger);
      const { tsa } = pki;
      if (tsa === undefined) logger.warn('no TSA: audit checkpoints carry no time-stamp until `mssp ca init` and a restart');
      audit = await startAudit(config, hsm, store, logger, tsa === undefined ? undefined : tsaStamper(tsa));
      let url = '';
      const callbackSigner = await openCallbackSigner(hsm);
      mss = await startPlatformMss({ config, hsm, store, logger, pki, publicUrl: () => url, demo: options.demo === true, auditLog: audit.log, callbackSigner, ...(options.simChannel !== undefined ? { simChannel: options.simChannel } : {}) });
      mps = await startPlatformMps({ hsm, store, logger, mss, callbackSigner, publicUrl: () => url, auditLog: audit.log, demo: options.demo === true });
      mpsClients = await startMpsClients({ store, logger, ra: pki.runtime?.ra, demoChannel: mss.demoChannel, auditLog: audit.log });
      const routes: Route[] = [...pki.routes, ...audit.routes, ...mss.routes, ...mps.routes, ...mpsClients.routes];
      http = await startHttpServer({
        host: config.httpHost,
        port: config.httpPort,
        ...(config.tlsCertFile && config.tlsKeyFile ? { tls: { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile } } : {}),
        logger,
        routes,
        health: [
          { name: 'store', check: () => store.ping() },
          { name: 'hsm', check: () => hsm.ping() },
        ],
      });
      url = http.url;
      if (mss.demo !== undefined) {
        const root = await store.certificates.findCa(ROOT_CA);
        demo = {
          soapUrl: `${url}/soap/services/MSS_SignaturePort`,
          wsdlUrl: `${url}/soap/services/?wsdl`,
          restUrl: `${url}/rest/v1`,
          openapiUrl: `${url}/rest/v1/openapi.json`,
          apId: mss.demo.apId,
          apPassword: mss.demo.apPassword,
          caCertPem: root === undefined ? '' : pem(root.certificate, 'CERTIFICATE'),
          msisdns: mss.demo.msisdns,
          ...(mps.demo(url) !== undefined ? { payments: mps.demo(url) as PaymentsDemo } : {}),
          ...(mpsClients.demo !== undefined ? { clientOrdersUrl: `${url}${mpsClients.demo.orderUrlPath}` } : {}),
        };
      }
      await audit.log.append({
        actor: { type: 'system', id: nodeName() },
        action: 'platform.start',
        subject: `node:${nodeName()}`,
        outcome: 'ok',
        details: { url: http.url, engine: store.engine, pki: pki.runtime !== undefined, tsa: tsa !== undefined },
      });
    } catch (err) {
      await http?.close();
      await mps?.stop();
      await mpsClients?.stop();
      await mss?.stop();
      await audit?.stop();
      await pki?.stop();
      await store.close();
      throw err;
    }
    const running = http;
    const runningPki = pki;
    const runningAudit = audit;
    const runningMss = mss;
    const runningMps = mps;
    const runningMpsClients = mpsClients;
    logger.info({ engine: store.engine, token: config.pkcs11Token }, 'platform started');
    return {
      url: running.url,
      demo,
      stop: async () => {
        await running.close();
        await runningMps.stop();
        await runningMpsClients.stop();
        await runningMss.stop();
        await runningAudit.log
          .append({ actor: { type: 'system', id: nodeName() }, action: 'platform.stop', subject: `node:${nodeName()}`, outcome: 'ok' })
          .catch((err: unknown) => logger.error({ err }, 'the stop could not be recorded in the audit log'));
        await runningAudit.stop();
        await runningPki.stop();
        await store.close();
        await hsm.close();
        logger.info('platform stopped');
      },
    };
  } catch (err) {
    await hsm.close();
    throw err;
  }
}
