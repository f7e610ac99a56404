import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;

/** A new random machine secret (gateway MQTT password, integration token): 256 bits, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Hash for machine secrets: SHA-256. A machine secret is 256 random bits, so a slow, salted hash adds
 * nothing (no dictionary, no guessing: the digest alone makes a stolen database useless, as for API tokens,
 * docs/qa-pages.md "Authentication"), while it would cost every broker login tens of milliseconds of CPU:
 * 1,000 gateways reconnecting at once spent ~45 s in scrypt (docs/performance.md "Reconnect storm").
 * Human passwords use argon2id (passwords.ts).
 */
export async function hashSecret(secret: string): Promise<string> {
  return `sha256$${sha256(secret)}`;
}

const sha256 = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('base64url');

/** A hash written by an earlier version (scrypt): still verified, and replaced on its next use. */
export function isLegacySecretHash(stored: string): boolean {
  return stored.startsWith('scrypt$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  if (stored.startsWith('sha256$')) {
    const expected = Buffer.from(stored.slice('sha256$'.length), 'base64url');
    const actual = Buffer.from(sha256(secret), 'base64url');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
