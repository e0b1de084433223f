import type { ApRecord, MssRepository } from '../../store';
import type { MessageHeader } from '../messages/types';
import { MssFault } from '../status';
import { ipAllowed } from './ip-allow';
import { verifyApPassword } from './password';
import type { ApRateLimiter } from './rate-limit';

/** What the transport knows about the caller. */
export interface CallerInfo {
  readonly remoteAddress: string;
  /** SHA-256 (hex) of the TLS client certificate, when the listener asked for one. */
  readonly clientCertFingerprint?: string;
}

export interface ApCheckContext {
  readonly repo: Pick<MssRepository, 'findAp' | 'claimApTransId'>;
  readonly limiter: ApRateLimiter;
  /** How far AP_Info@Instant may be from our clock. */
  readonly instantWindowMs: number;
  readonly now?: () => Date;
}

// Why the AP was refused goes to the log (detail, not exposed); the AP sees only UNAUTHORIZED_ACCESS.
const refuse = (why: string): MssFault => new MssFault(104, why, false);

/**
 * The checks every request passes before its operation runs, in order: AP known and active, password, IP
 * allow-list, TLS client certificate, rate limit, Instant window, and last the AP_TransID replay check (last so
 * that a refused request does not use up its AP_TransID).
 */
export async function authenticateAp(header: MessageHeader, caller: CallerInfo, ctx: ApCheckContext): Promise<ApRecord> {
  const { apInfo } = header;
  const ap = await ctx.repo.findAp(apInfo.apId);
  if (!ap) throw refuse(`unknown AP ${apInfo.apId}`);
  if (ap.status !== 'active') throw refuse(`AP ${ap.apId} is ${ap.status}`);
  if (!(await verifyApPassword(apInfo.apPwd, ap.passwordHash))) throw refuse(`wrong password for AP ${ap.apId}`);
  if (!ipAllowed(ap.ipAllow, caller.remoteAddress)) throw refuse(`AP ${ap.apId} called from ${caller.remoteAddress}, not in its allow-list`);
  if (ap.tlsFingerprint !== null && ap.tlsFingerprint.toLowerCase() !== caller.clientCertFingerprint?.toLowerCase()) {
    throw refuse(`AP ${ap.apId} did not present its registered TLS client certificate`);
  }
  if (!ctx.limiter.take(ap.apId, ap.ratePerSecond)) throw new MssFault(104, 'rate limit exceeded');
  const now = (ctx.now ?? (() => new Date()))();
  if (Math.abs(now.getTime() - apInfo.instant.getTime()) > ctx.instantWindowMs) {
    throw new MssFault(101, `AP_Info@Instant is more than ${Math.round(ctx.instantWindowMs / 1000)} s from the MSSP's clock`);
  }
  if (!(await ctx.repo.claimApTransId(ap.apId, apInfo.apTransId))) throw new MssFault(101, `AP_TransID ${apInfo.apTransId} has been used before`);
  return ap;
}
