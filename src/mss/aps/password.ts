import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * AP passwords are stored as scrypt hashes: `scrypt$N$r$p$salt$hash` (base64). N=2^15 costs ~50 ms and 32 MiB,
 * which a busy AP would pay on every request, so a successful check is remembered (by a SHA-256 of hash and
 * password, in memory only) for the life of the process.
 */
const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAX_MEM = 64 * 1024 * 1024;

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashApPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, { N, r: R, p: P, maxmem: MAX_MEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const verified = new Set<string>();
const MAX_REMEMBERED = 10_000;

export async function verifyApPassword(password: string, stored: string): Promise<boolean> {
  const memo = createHash('sha256').update(stored).update('\0').update(password).digest('base64');
  if (verified.has(memo)) return true;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, keyB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(keyB64, 'base64');
  const key = await scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: MAX_MEM });
  const ok = key.length === expected.length && timingSafeEqual(key, expected);
  if (ok) {
    if (verified.size >= MAX_REMEMBERED) verified.clear();
    verified.add(memo);
  }
  return ok;
}
