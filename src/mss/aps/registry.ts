import { AP_PERMISSIONS, type ApPermission, type ApRecord, type MssRepository } from '../../store';
import { parseIpAllowList } from './ip-allow';
import { hashApPassword } from './password';

export interface NewApInput {
  readonly apId: string;
  readonly password: string;
  readonly tlsFingerprint?: string;
  readonly ipAllow?: readonly string[];
  readonly profiles: readonly string[];
  readonly formats?: readonly string[];
  readonly notificationUrl?: string;
  readonly ratePerSecond?: number;
  /** Beyond signatures: `registration` lets it register and activate mobile IDs (MSS_Registration). */
  readonly permissions?: readonly string[];
}

/** A registration the operator got wrong: the CLI prints it and exits non-zero. */
export class ApRegistryError extends Error {
  override readonly name = 'ApRegistryError';
}

const PKCS7 = 'http://uri.etsi.org/TS102204/v1.1.2#PKCS7';

function checkUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ApRegistryError(`${what} is not a URL: ${value}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ApRegistryError(`${what} must be http(s): ${value}`);
  return value;
}

/** Registers an AP; the password is hashed here and never stored or logged in clear. */
export async function addAp(repo: Pick<MssRepository, 'insertAp'>, input: NewApInput): Promise<ApRecord> {
  checkUrl(input.apId, 'AP_ID');
  if (input.password.length < 12) throw new ApRegistryError('the AP password must be at least 12 characters');
  if (input.tlsFingerprint !== undefined && !/^[0-9a-fA-F]{64}$/.test(input.tlsFingerprint.replace(/:/g, ''))) {
    throw new ApRegistryError('the TLS fingerprint must be a SHA-256 in hex');
  }
  try {
    parseIpAllowList(input.ipAllow ?? []);
  } catch (err) {
    throw new ApRegistryError(err instanceof Error ? err.message : String(err));
  }
  if (input.profiles.length === 0) throw new ApRegistryError('allow at least one signature profile');
  for (const p of input.profiles) checkUrl(p, 'signature profile');
  const rate = input.ratePerSecond ?? 50;
  if (!Number.isInteger(rate) || rate < 1) throw new ApRegistryError('the rate limit must be a positive integer');
  const permissions = (input.permissions ?? []).map((p): ApPermission => {
    const known = AP_PERMISSIONS.find((k) => k === p);
    if (known === undefined) throw new ApRegistryError(`unknown permission "${p.slice(0, 40)}" (known: ${AP_PERMISSIONS.join(', ')})`);
    return known;
  });
  return repo.insertAp({
    apId: input.apId,
    passwordHash: await hashApPassword(input.password),
    tlsFingerprint: input.tlsFingerprint?.replace(/:/g, '').toLowerCase() ?? null,
    ipAllow: input.ipAllow ?? [],
    profiles: input.profiles,
    formats: input.formats ?? [PKCS7],
    notificationUrl: input.notificationUrl !== undefined ? checkUrl(input.notificationUrl, 'notification URL') : null,
    ratePerSecond: rate,
    permissions,
  });
}
