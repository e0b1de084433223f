import type { Repositories } from '../../store';
import type { CertificateState } from './response';
import { certificateKey } from './cache';

/** Where the responder learns a certificate's status. */
export interface StatusSource {
  status(ca: string, serialHex: string): Promise<CertificateState>;
  /** Forget what is known about one certificate (its status changed). */
  invalidate(ca: string, serialHex: string): void;
}

const UNKNOWN: CertificateState = { kind: 'unknown' };
const GOOD: CertificateState = { kind: 'good' };

/**
 * Statuses read from the store, remembered per certificate until invalidated (by this node's status feed, which
 * sees every change made anywhere). A read that overlaps an invalidation of the same certificate is not
 * remembered. Hold is reported as revoked with reason certificateHold (RFC 6960 §2.2).
 */
export class StoreStatusSource implements StatusSource {
  private readonly known = new Map<string, CertificateState>();
  private epoch = 0;

  constructor(
    private readonly store: Pick<Repositories, 'certificates'>,
    private readonly maxEntries = 100_000,
  ) {}

  async status(ca: string, serialHex: string): Promise<CertificateState> {
    const key = certificateKey(ca, serialHex);
    const hit = this.known.get(key);
    if (hit !== undefined) return hit;
    // Serial numbers over 20 octets are not ones we issue (RFC 5280 §4.1.2.2).
    if (serialHex.length > 42) return UNKNOWN;
    const epoch = this.epoch;
    const found = await this.store.certificates.findWithStatus(ca, serialHex);
    let state: CertificateState;
    if (found === undefined) state = UNKNOWN;
    else if (found.status === undefined || found.status.status === 'good') state = GOOD;
    else state = { kind: 'revoked', revokedAt: found.status.revokedAt ?? found.status.createdAt, reason: found.status.reason };
    if (epoch === this.epoch) this.remember(key, state);
    return state;
  }

  invalidate(ca: string, serialHex: string): void {
    const key = certificateKey(ca, serialHex);
    this.epoch += 1;
    this.known.delete(key);
  }

  private remember(key: string, state: CertificateState): void {
    if (this.maxEntries <= 0) return;
    this.known.set(key, state);
    if (this.known.size > this.maxEntries) this.known.delete(this.known.keys().next().value as string);
  }
}
