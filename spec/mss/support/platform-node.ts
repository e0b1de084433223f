import { startHttpServer } from '../../../src/api/http-server';
import { startMss } from '../../../src/api/mss';
import { SimApprover } from '../../../src/approval';
import { AppletChannel, deviceOtaCrypto, normaliseMsisdn, type RelayStats } from '../../../src/channel/sim';
import { EsmeClient } from '../../../src/channel/smpp';
import { clusterChannelParts } from '../../../src/cli/cluster';
import type { Hsm } from '../../../src/hsm';
import type { Logger } from '../../../src/log';
import type { Store } from '../../../src/store';
import { simDirectory } from '../../../hsm-sim/handset/platform';
import type { SimRecord } from '../../../hsm-sim/handset/sim-set';

/**
 * One platform node as `mssp start` wires it for several nodes, minus the PKI and the demo: the TS 102 204
 * service with the store's events, the SIM channel over its own SMPP bind with the cluster parts (store
 * counters, PoR relay), SOAP over HTTP. The SIMs' certificates come from their SIM set (stand-in CA).
 */
export interface PlatformNodeOptions {
  readonly name: string;
  readonly store: Store;
  readonly hsm: Hsm;
  readonly records: readonly SimRecord[];
  readonly smsc: { readonly port: number; readonly systemId: string; readonly password: string };
  readonly logger: Logger;
}

export interface PlatformNode {
  readonly url: string;
  readonly soapUrl: string;
  relayStats(): RelayStats;
  stop(): Promise<void>;
}

export async function startPlatformNode(options: PlatformNodeOptions): Promise<PlatformNode> {
  const { store, logger } = options;
  const byMsisdn = new Map(options.records.map((r) => [r.msisdn, r]));
  const esme = new EsmeClient({ host: '127.0.0.1', port: options.smsc.port, systemId: options.smsc.systemId, password: options.smsc.password, name: options.name, logger });
  await esme.start();
  const channel = new AppletChannel({ transport: esme, crypto: deviceOtaCrypto(options.hsm), sims: simDirectory(options.records), shortCode: '12345', timeoutMs: 30_000, logger, ...clusterChannelParts(store, options.name) });
  const approver = new SimApprover({
    channel,
    reachable: (msisdn) => byMsisdn.has(normaliseMsisdn(msisdn)),
    certificates: {
      current: async (msisdn) => {
        const r = byMsisdn.get(normaliseMsisdn(msisdn));
        return r === undefined ? undefined : { authentication: Buffer.from(r.certificates.auth, 'base64'), signature: Buffer.from(r.certificates.sign, 'base64') };
      },
    },
  });
  let url = '';
  const mss = startMss({ repo: store.mss, events: store.events, approver, logger, publicUrl: () => url, msspUri: `http://${options.name}.nodes.test` });
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, health: [], routes: mss.routes, logger });
  url = http.url;
  await store.events.ready();
  return {
    url,
    soapUrl: `${url}/soap/services/MSS_SignaturePort`,
    relayStats: () => channel.relayStats,
    stop: async () => {
      await http.close();
      await mss.stop();
      channel.close();
      await esme.close();
    },
  };
}
