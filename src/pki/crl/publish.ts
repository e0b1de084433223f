import type { CrlRecord, Repositories } from '../../store';
import type { CertificationAuthority } from '../ca/authority';
import { wholeSeconds } from '../ca/issue';
import { buildCrl } from './build';

/** The counter (store `counters`) that numbers a CA's CRLs: monotonic across processes and nodes (§5.2.3). */
export const crlCounterName = (ca: string): string => `crl:${ca}`;

export interface PublishCrlOptions {
  /** Default now. */
  readonly now?: Date;
}

/**
 * Makes and stores a new full CRL for `ca`: every certificate whose current status is hold or revoked and that
 * has not expired, with reason codes and invalidity dates, signed by the CA key. The newest status row id is
 * read first, so a change that lands while the CRL is being made marks it out of date.
 */
export async function publishCrl(store: Pick<Repositories, 'certificates' | 'counters'>, ca: CertificationAuthority, options: PublishCrlOptions = {}): Promise<CrlRecord> {
  const thisUpdate = wholeSeconds((options.now ?? new Date()).getTime());
  const nextUpdate = new Date(thisUpdate.getTime() + ca.record.crlValiditySeconds * 1000);
  const coversStatusId = await store.certificates.latestStatusId(ca.name);
  const revoked = await store.certificates.revokedEntries(ca.name, thisUpdate);
  const crlNumber = await store.counters.next(crlCounterName(ca.name));
  const der = await buildCrl({
    issuer: { key: ca.key, certificate: ca.certificate },
    crlNumber,
    thisUpdate,
    nextUpdate,
    entries: revoked.map((s) => ({
      serialHex: s.serial,
      revocationDate: s.revokedAt ?? s.createdAt,
      reason: s.reason,
      invalidityDate: s.invalidityDate,
    })),
  });
  return store.certificates.insertCrl({ issuerCa: ca.name, crlNumber, thisUpdate, nextUpdate, coversStatusId, der });
}

/** Why `latest` should be replaced now, or undefined while it is current. */
export function crlRefreshReason(latest: CrlRecord | undefined, latestStatusId: bigint, now: number, refreshFraction: number): string | undefined {
  if (latest === undefined) return 'no CRL yet';
  if (latest.coversStatusId < latestStatusId) return 'a certificate status changed';
  const lifetime = latest.nextUpdate.getTime() - latest.thisUpdate.getTime();
  // Re-issued well before nextUpdate, so relying parties that fetch near the end never hold an expired CRL.
  if (now >= latest.thisUpdate.getTime() + lifetime * refreshFraction) return 'nextUpdate is near';
  return undefined;
}
