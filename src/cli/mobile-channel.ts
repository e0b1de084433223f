import type { Config } from '../config';
import type { Hsm } from '../hsm';
import type { Logger } from '../log';
import type { Approver, CitizenCertificates } from '../approval';
import type { SimProfile } from '../channel/sim';
import type { Store } from '../store';

/**
 * The mobile channel of `mssp start` without --demo: binds to the SMSC of MSSP_SMSC_HOST as an ESME and reaches
 * the SIMs imported with `mssp sim import` (profiles in the store, OTA keys in the HSM). The citizen's certificates
 * come from the mobile-ID directory, as with the demo channel. Only types at the top (see main.ts).
 */
export interface RunningMobileChannel {
  readonly approver: Approver;
  close(): Promise<void>;
}

export async function startMobileChannel(options: {
  readonly config: Config;
  readonly hsm: Hsm;
  readonly store: Store;
  readonly logger: Logger;
  readonly certificates: CitizenCertificates;
}): Promise<RunningMobileChannel | undefined> {
  const { config, hsm, store, logger } = options;
  const host = config.smscHost;
  if (host === undefined) return undefined;
  const { EsmePool } = await import('../channel/smpp');
  const { AppletChannel, deviceOtaCrypto, normaliseMsisdn } = await import('../channel/sim');
  const { clusterChannelParts } = await import('./cluster');
  const { SimApprover } = await import('../approval');

  const profileOf = async (msisdn: string): Promise<SimProfile | undefined> => {
    const sim = await store.sims.findByMsisdn(normaliseMsisdn(msisdn));
    if (sim === undefined) return undefined;
    return {
      msisdn: sim.msisdn,
      sim: sim.iccid,
      tar: Buffer.from(sim.tar, 'hex'),
      kic: { algorithm: sim.kicAlgorithm, keyVersion: sim.keyVersion },
      kid: { algorithm: sim.kidAlgorithm, keyVersion: sim.keyVersion },
    };
  };
  // The contract rate is for the whole account: each bind gets its share.
  const perBind = Math.max(1, Math.floor(config.smscSubmitsPerSecond / config.smscBinds));
  const pool = new EsmePool(
    Array.from({ length: config.smscBinds }, () => ({
      host,
      port: config.smscPort,
      systemId: config.smscSystemId,
      password: config.smscPassword ?? '',
      ...(config.smscSystemType !== undefined ? { systemType: config.smscSystemType } : {}),
      submitsPerSecond: perBind,
      logger,
    })),
  );
  const where = { host, port: config.smscPort, systemId: config.smscSystemId, binds: config.smscBinds, submitsPerSecond: config.smscSubmitsPerSecond, shortCode: config.shortCode };
  // The HTTP listener does not wait for the SMSC: requests queue until the binds are up (or fail as unreachable).
  void pool.start().then(
    () => logger.info(where, 'bound to the SMSC'),
    (err: unknown) => logger.error({ ...where, err }, 'the SMSC refused the bind: no SIM can be reached'),
  );
  const channel = new AppletChannel({
    transport: pool,
    crypto: deviceOtaCrypto(hsm),
    sims: { lookup: profileOf },
    // Counters in the store and the PoR relay: several nodes may bind to one SMSC account (src/cli/cluster.ts).
    ...clusterChannelParts(store),
    shortCode: config.shortCode,
    logger,
  });
  const approver = new SimApprover({ channel, certificates: options.certificates, reachable: async (msisdn) => (await profileOf(msisdn)) !== undefined });
  logger.info({ ...where, sims: (await store.sims.list()).length }, 'mobile channel: SMSC and imported SIMs');
  return {
    approver,
    close: async () => {
      channel.close();
      await pool.close();
    },
  };
}
