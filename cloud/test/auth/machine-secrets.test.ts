import { randomBytes, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hashSecret, isLegacySecretHash, newSecret, verifySecret } from '../../src/auth/secrets.js';
import { identifyBrokerLogin } from '../../src/broker/broker-accounts.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';

/** A hash as earlier versions wrote it: scrypt N=16384, r=8, p=1, 16-byte salt, 32-byte key. */
async function legacyHash(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = (await promisify(scrypt)(secret, salt, 32)) as Buffer;
  return `scrypt$16384$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

describe('machine secrets (gateway MQTT passwords)', () => {
  it('are stored as their SHA-256 and verified only with the same secret', async () => {
    const secret = newSecret();
    const stored = await hashSecret(secret);
    expect(stored).toMatch(/^sha256\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain(secret);
    expect(await verifySecret(secret, stored)).toBe(true);
    expect(await verifySecret(newSecret(), stored)).toBe(false);
    expect(await verifySecret(`${secret}x`, stored)).toBe(false);
    expect(await verifySecret(secret, 'sha256$')).toBe(false);
    expect(await verifySecret(secret, 'md5$abc')).toBe(false);
  });

  it('a legacy scrypt hash still verifies, and is rewritten as SHA-256 at its first broker login', async () => {
    const secret = newSecret();
    const legacy = await legacyHash(secret);
    expect(isLegacySecretHash(legacy)).toBe(true);
    expect(await verifySecret(secret, legacy)).toBe(true);
    expect(await verifySecret(newSecret(), legacy)).toBe(false);

    const store = new CloudStore(await openDatabase(':memory:'));
    try {
      await store.upsertGateway({ id: 'gw-1', secretHash: legacy, now: 1 });
      // Precondition: stored as written by the earlier version.
      expect((await store.getGateway('gw-1'))!.secret_hash).toBe(legacy);
      // A wrong secret changes nothing.
      expect(
        await identifyBrokerLogin(store, {}, { username: 'gw-1', secret: newSecret(), clientId: 'gw-1' }),
      ).toBeNull();
      expect((await store.getGateway('gw-1'))!.secret_hash).toBe(legacy);
      expect(await identifyBrokerLogin(store, {}, { username: 'gw-1', secret, clientId: 'gw-1' })).toEqual({
        kind: 'gateway',
        name: 'gw-1',
      });
      const now = (await store.getGateway('gw-1'))!.secret_hash!;
      expect(now).toBe(await hashSecret(secret));
      expect(await identifyBrokerLogin(store, {}, { username: 'gw-1', secret, clientId: 'gw-1' })).toEqual({
        kind: 'gateway',
        name: 'gw-1',
      });
    } finally {
      await store.close();
    }
  });
});
