import { hostname } from 'node:os';
import { POR_CLAIM_TOPIC, POR_TOPIC, SharedCounters, parseRelayClaim, parseRelayedPor, type CounterSource, type PorRelay } from '../channel/sim';
import type { Store } from '../store';

/**
 * What lets several `mssp start` on one database share the SIM channel (DESIGN.md "One store, two engines"):
 * OTA counters in the store, so no two nodes send a SIM the same CNTR, and the PoR relay over the store's
 * events, so a handset's answer that the SMSC gave to one node reaches the node whose request it answers. On
 * SQLite (one process) it costs an upsert per message and nothing else.
 */
export interface ClusterChannelParts {
  readonly counters: CounterSource;
  readonly relay: PorRelay;
}

/** This node's name among the others: host and process (and a suffix when one process runs several). */
export function clusterNodeName(suffix?: string): string {
  return `${hostname()}:${process.pid}${suffix !== undefined ? `:${suffix}` : ''}`;
}

export function clusterChannelParts(store: Store, node: string = clusterNodeName()): ClusterChannelParts {
  return {
    counters: new SharedCounters(store.counters),
    relay: { node, pors: store.events.topic(POR_TOPIC, parseRelayedPor), claims: store.events.topic(POR_CLAIM_TOPIC, parseRelayClaim) },
  };
}
