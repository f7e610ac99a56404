import { hashSecret, newSecret } from '../auth/secrets.js';
import type { CloudStore } from '../store/cloud-store.js';

/** Registers (or re-keys) a gateway and returns its new MQTT secret; only the hash is stored. */
export async function registerGateway(
  store: CloudStore,
  g: { id: string; name?: string | null; now: number },
): Promise<string> {
  const secret = newSecret();
  await store.upsertGateway({
    id: g.id,
    name: g.name ?? null,
    secretHash: await hashSecret(secret),
    now: g.now,
  });
  return secret;
}
