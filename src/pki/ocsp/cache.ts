/**
 * Signed responses for single-certificate requests without a nonce (RFC 5019 §2.1.1: what most clients send),
 * reused until half their validity has passed or a status change of their certificate drops them. Bounded;
 * the oldest entry goes first. An entry computed from a status read before an invalidation is not stored
 * (the epoch check), so a revocation can never be hidden by a response that was being signed meanwhile.
 */
export interface CachedResponse {
  readonly der: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** Served until this time (ms), then signed afresh. */
  readonly refreshAt: number;
  /** Quoted strong ETag for HTTP GET (RFC 5019 §6.2). */
  readonly etag: string;
}

export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
  readonly invalidations: number;
}

export class ResponseCache {
  private readonly entries = new Map<string, CachedResponse>();
  /** certificate key (CA and serial) → keys of the entries for it (one per CertID encoding: SHA-1, SHA-256, ...). */
  private readonly byCertificate = new Map<string, Set<string>>();
  private readonly certificateOf = new Map<string, string>();
  private epochValue = 0;
  private hits = 0;
  private misses = 0;
  private invalidations = 0;

  constructor(private readonly maxEntries: number) {}

  /** Changes on every invalidation; take it before reading a status, hand it to set(). */
  get epoch(): number {
    return this.epochValue;
  }

  get(key: string, now: number): CachedResponse | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined || now >= hit.refreshAt) {
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    return hit;
  }

  set(key: string, certificate: string, value: CachedResponse, epoch: number): void {
    if (epoch !== this.epochValue || this.maxEntries <= 0) return;
    this.remove(key);
    this.entries.set(key, value);
    this.certificateOf.set(key, certificate);
    let keys = this.byCertificate.get(certificate);
    if (keys === undefined) this.byCertificate.set(certificate, (keys = new Set()));
    keys.add(key);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.remove(oldest);
    }
  }

  /** Drops every response about this certificate. */
  invalidate(certificate: string): void {
    this.epochValue += 1;
    this.invalidations += 1;
    const keys = this.byCertificate.get(certificate);
    if (keys === undefined) return;
    for (const key of [...keys]) this.remove(key);
  }

  clear(): void {
    this.epochValue += 1;
    this.entries.clear();
    this.byCertificate.clear();
    this.certificateOf.clear();
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, size: this.entries.size, invalidations: this.invalidations };
  }

  private remove(key: string): void {
    if (!this.entries.delete(key)) return;
    const certificate = this.certificateOf.get(key);
    this.certificateOf.delete(key);
    if (certificate === undefined) return;
    const keys = this.byCertificate.get(certificate);
    keys?.delete(key);
    if (keys !== undefined && keys.size === 0) this.byCertificate.delete(certificate);
  }
}

/** The key under which a certificate's responses and status are kept. */
export const certificateKey = (ca: string, serialHex: string): string => `${ca}/${serialHex}`;
