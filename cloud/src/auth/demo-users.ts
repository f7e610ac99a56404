import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Role } from './roles.js';
import { UserStore } from './user-store.js';

export interface DemoLogin {
  username: string;
  password: string;
  printedName: string;
  roles: Role[];
}

/**
 * Creates a user with a fresh random password for a demo run and returns what to print ("log in as … with
 * …"). An existing user of that name is left as it is (its password unknown) and null is returned.
 */
export async function createDemoUser(
  store: { db: Kysely<Database> },
  u: { username: string; printedName: string; roles: Role[] },
  now: number,
): Promise<DemoLogin | null> {
  const users = new UserStore(store.db);
  if (await users.findByUsername(u.username)) return null;
  const password = `demo-${randomBytes(9).toString('base64url')}`;
  await users.createUser({ ...u, password }, now, { actor: 'demo', reason: 'demo user for a demo run' });
  return { ...u, password };
}
