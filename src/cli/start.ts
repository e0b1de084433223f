import type { LoadedConfig } from '../config';
import { createLogger } from '../log';
import { startHttpServer, type RunningHttpServer } from '../api/http-server';
import { openPlatformHsm, openPlatformStore } from './platform';

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
  try {
    const store = await openPlatformStore(config);
    try {
      const { applied } = await store.migrate();
      if (applied.length > 0) logger.info({ applied }, 'store migrated');
      http = await startHttpServer({
        host: config.httpHost,
        port: config.httpPort,
        ...(config.tlsCertFile && config.tlsKeyFile ? { tls: { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile } } : {}),
        logger,
        health: [
          { name: 'store', check: () => store.ping() },
          { name: 'hsm', check: () => hsm.ping() },
        ],
      });
    } catch (err) {
      await store.close();
      throw err;
    }
    const running = http;
    logger.info({ engine: store.engine, token: config.pkcs11Token }, 'platform started');
    return {
      url: running.url,
      stop: async () => {
        await running.close();
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
