import { ColdtraceError } from '@coldtrace/shared';
import { hash, verify } from '@node-rs/argon2';

/** argon2id (RFC 9106); `Algorithm.Argon2id` is an ambient const enum, so its value is spelled here. */
const ARGON2ID = 2;
/** OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1. */
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;

/** Rejects passwords too short to resist guessing (NIST SP 800-63B §5.1.1.2: length over composition rules). */
export function checkPasswordPolicy(password: string, username?: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new ColdtraceError('invalid', `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH)
    throw new ColdtraceError('invalid', `password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  if (username && password.toLowerCase() === username.toLowerCase())
    throw new ColdtraceError('invalid', 'password must not equal the username');
}

export function hashPassword(password: string): Promise<string> {
  // biome-ignore lint/suspicious/noExplicitAny: the const enum cannot be imported under isolatedModules
  return hash(password, OPTIONS as any);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  try {
    return await verify(stored, password);
  } catch {
    return false; // a malformed stored hash never authenticates
  }
}

let dummy: Promise<string> | undefined;
/** Verifies against a throwaway hash so an unknown username costs the same time as a wrong password. */
export async function burnVerify(password: string): Promise<void> {
  dummy ??= hashPassword('coldtrace-dummy-password');
  await verifyPassword(await dummy, password);
}
