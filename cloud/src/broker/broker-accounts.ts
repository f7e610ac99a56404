import { createHash, timingSafeEqual } from 'node:crypto';
import { ID_PATTERN } from '@coldtrace/shared';
import { hashSecret, isLegacySecretHash, verifySecret } from '../auth/secrets.js';
import type { CloudStore } from '../store/cloud-store.js';
import { gatewayMayUse, serviceAccountMayUse } from './client-ids.js';

/** An ERP/WMS integration or tool: subscribes under `coldtrace/v1/#`, publishes nothing. */
export interface ServiceAccount {
  secret: string;
  /** Its client ids start with this (client-ids.ts: no gateway client id can). */
  clientIdPrefix: string;
}

export type BrokerIdentity = { kind: 'gateway' | 'service'; name: string };

/** Constant-time comparison of two secrets (their SHA-256, so lengths never leak either). */
export function sameSecret(a: string, b: string): boolean {
  const h = (x: string) => createHash('sha256').update(x, 'utf8').digest();
  return timingSafeEqual(h(a), h(b));
}

/**
 * Who an MQTT login is, for the embedded broker and for RabbitMQ's HTTP auth backend alike: a service
 * account (its secret) or a registered gateway (the secret `coldtrace gateway add` issued), each with a
 * client id bound to the account (client-ids.ts). `client_id` when the credentials hold but the client id
 * is not the account's; null for bad credentials. A store failure rejects.
 */
export async function identifyBrokerLogin(
  store: CloudStore,
  accounts: Readonly<Record<string, ServiceAccount>>,
  login: { username: string; secret: string; clientId: string },
): Promise<BrokerIdentity | 'client_id' | null> {
  const { username: name, secret, clientId } = login;
  const service = Object.hasOwn(accounts, name) ? accounts[name] : undefined;
  if (service !== undefined) {
    if (!sameSecret(service.secret, secret)) return null;
    if (!serviceAccountMayUse(service.clientIdPrefix, clientId)) return 'client_id';
    return { kind: 'service', name };
  }
  if (!ID_PATTERN.test(name)) return null;
  const gw = await store.getGateway(name);
  if (!gw?.secret_hash) return null;
  if (!(await verifySecret(secret, gw.secret_hash))) return null;
  if (isLegacySecretHash(gw.secret_hash)) {
    // The same secret, stored as its SHA-256 from now on (auth/secrets.ts).
    await store.rehashGatewaySecret(name, gw.secret_hash, await hashSecret(secret));
  }
  if (!gatewayMayUse(name, clientId)) return 'client_id';
  return { kind: 'gateway', name };
}
