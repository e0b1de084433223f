import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { API_ROLES, type ApiKeyRecord, type ApiRole, type Store } from '../../store';
import { MpsError } from '../errors';
import { checkId } from '../ledger/validate';

/**
 * API keys of the MPS REST API: `<id>.<secret>`, the id public (it names the key in logs), the secret shown once
 * and stored only as an scrypt hash. Each key is bound to one participant and one role (merchant, psp, bank), and
 * may require a TLS client certificate (by its SHA-256).
 *
 * scrypt costs tens of milliseconds on purpose; a key that verified once is remembered for a short while as the
 * SHA-256 of its secret (in memory only), so a merchant sending hundreds of requests a second pays it once.
 */

export interface ApiPrincipal {
  readonly keyId: string;
  readonly participantId: string;
  readonly role: ApiRole;
  readonly tlsFingerprint: string | null;
}

export interface NewApiKey {
  readonly participantId: string;
  readonly role: ApiRole;
  readonly tlsFingerprint?: string;
  readonly label?: string;
}

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;
const KEY = /^([a-z0-9]{16})\.([A-Za-z0-9_-]{43})$/;
const CACHE_MS = 60_000;

function scryptAsync(secret: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

async function secretMatches(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

export class ApiKeys {
  private readonly verified = new Map<string, { digest: Buffer; principal: ApiPrincipal; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Makes a key; the returned `<id>.<secret>` is the only time the secret exists outside the caller. */
  async create(k: NewApiKey): Promise<{ key: string; record: ApiKeyRecord }> {
    const participantId = checkId(k.participantId, 'participant id');
    if (!(API_ROLES as readonly string[]).includes(k.role)) throw new MpsError('INVALID_REQUEST', `role must be one of ${API_ROLES.join(', ')}`);
    if ((await this.store.ledger.participant(participantId)) === undefined) throw new MpsError('UNKNOWN_PARTICIPANT', `participant ${participantId} is unknown`);
    const tls = k.tlsFingerprint?.replace(/:/g, '').toLowerCase();
    if (tls !== undefined && !/^[0-9a-f]{64}$/.test(tls)) throw new MpsError('INVALID_REQUEST', 'a TLS fingerprint is the SHA-256 of the certificate, 64 hex digits');
    const id = randomBytes(10).toString('hex').slice(0, 16);
    const secret = randomBytes(32).toString('base64url');
    const record: ApiKeyRecord = { id, secretHash: await hashSecret(secret), participantId, role: k.role, tlsFingerprint: tls ?? null, label: k.label ?? null, createdAt: this.clock() };
    await this.store.mpsAccess.insertApiKey(record);
    return { key: `${id}.${secret}`, record };
  }

  /** The key's principal, or undefined for anything that is not a live key with its right secret. */
  async authenticate(presented: string): Promise<ApiPrincipal | undefined> {
    const m = KEY.exec(presented);
    if (m === null) return undefined;
    const [, id = '', secret = ''] = m;
    const now = this.clock().getTime();
    const digest = sha256(secret);
    const cached = this.verified.get(id);
    if (cached !== undefined && cached.until > now) return timingSafeEqual(cached.digest, digest) ? cached.principal : undefined;
    const record = await this.store.mpsAccess.apiKey(id);
    if (record === undefined || !(await secretMatches(secret, record.secretHash))) return undefined;
    const principal: ApiPrincipal = { keyId: record.id, participantId: record.participantId, role: record.role, tlsFingerprint: record.tlsFingerprint };
    this.verified.set(id, { digest, principal, until: now + CACHE_MS });
    return principal;
  }
}
