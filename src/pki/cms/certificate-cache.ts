import { createHash } from 'node:crypto';
import { type Certificate, parseCertificate } from '../x509/certificate';

/**
 * Parsed certificates by their exact bytes (SHA-256 of the DER), least recently used dropped first.
 * A verifier that sees the same signer and CA certificates in every message parses them once, and because
 * path validation remembers signature checks per parsed certificate (path/signatures.ts) and public keys per
 * parsed key (crypto/public-key.ts), it also checks each certificate's signature once. Sharing a cache is
 * safe: an entry is only ever returned for identical bytes.
 */
export class CertificateCache {
  private readonly entries = new Map<string, Certificate>();

  constructor(readonly maxEntries = 1024) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The parsed certificate; throws PkiParseError like parseCertificate (failures are not remembered). */
  parse(der: Uint8Array): Certificate {
    const key = createHash('sha256').update(der).digest('base64');
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    // The parsed certificate holds views into its input; a private copy keeps a caller who reuses its buffer
    // from changing what the cache returns later.
    const cert = parseCertificate(Uint8Array.from(der));
    this.entries.set(key, cert);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return cert;
  }
}
