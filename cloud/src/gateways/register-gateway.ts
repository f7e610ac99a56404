import { hashSecret, newSecret } from '../auth/secrets.js';
import type { CloudStore } from '../store/cloud-store.js';

/**
 * Registers (or re-keys) a gateway and returns its new MQTT secret; only the hash is stored. Audited as
 * `gateway.credentials_issued` by `actor` (the user, `cli:<os user>`; `system` for programs) in the same
 * transaction; the secret is never recorded.
 */
export async function registerGateway(
  store: CloudStore,
  g: { id: string; name?: string | null; now: number; actor?: string | undefined },
): Promise<string> {
  const secret = newSecret();
  await store.upsertGateway({
    id: g.id,
    name: g.name ?? null,
    secretHash: await hashSecret(secret),
    now: g.now,
    actor: g.actor ?? 'system',
  });
  return secret;
}
