import type { LoadedConfig } from '../config';
import { createLogger } from '../log';
import { startHttpServer, type RunningHttpServer } from '../api/http-server';
import { openPlatformHsm, openPlatformStore } from './platform';
import { startPki, type RunningPki } from './ca';

export interface RunningPlatform {
  readonly url: string;
  stop(): Promise<void>;
}

/** Opens the token and the store (failing fast with one clear error), migrates, and serves HTTP. */
export async function startPlatform(loaded: LoadedConfig): Promise<RunningPlatform> {
  const { config } = loaded;
  const logger = createLogger({ level: config.logLevel });
  for (const warning of loaded.warnings) logger.warn(warning);

  const hsm = await openPlatformHsm(config, logger);
  let http: RunningHttpServer | undefined;
  let pki: RunningPki | undefined;
  try {
    const store = await openPlatformStore(config);
    try {
      const { applied } = await store.migrate();
      if (applied.length > 0) logger.info({ applied }, 'store migrated');
      pki = await startPki(config, hsm, store, logger);
      http = await startHttpServer({
        host: config.httpHost,
        port: config.httpPort,
        ...(config.tlsCertFile && config.tlsKeyFile ? { tls: { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile } } : {}),
        logger,
        routes: [...pki.routes],
        health: [
          { name: 'store', check: () => store.ping() },
          { name: 'hsm', check: () => hsm.ping() },
        ],
      });
    } catch (err) {
      await pki?.stop();
      await store.close();
      throw err;
    }
    const running = http;
    const runningPki = pki;
    logger.info({ engine: store.engine, token: config.pkcs11Token }, 'platform started');
    return {
      url: running.url,
      stop: async () => {
        await running.close();
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
