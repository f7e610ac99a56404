import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cloud, registerGateway, startCloud } from '@coldtrace/cloud';
import { type Gateway, parseGatewayConfig, startGateway } from '@coldtrace/edge';
import { createTestPki, type TestPki, until } from '@coldtrace/shared/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A real edge gateway reaching the real cloud's embedded broker over MQTTS with mutual TLS: the gateway's
 * `mqtt.tls` files (CA, its certificate and key) against the cloud's `mqtt.embedded.tls` with `clientCa`
 * and `requireClientCert` (docs/operations.md "Mutual TLS for gateways").
 */
const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
let dir: string;
let pki: TestPki;
let cloud: Cloud;
const secrets: Record<string, string> = {};
const gateways: Gateway[] = [];

async function gateway(id: string, certName: string): Promise<Gateway> {
  const cert = pki.client(certName);
  const g = await startGateway(
    parseGatewayConfig({
      gatewayId: id,
      dataDir: join(dir, `${id}-${gateways.length}`),
      mqtt: {
        url: cloud.mqttUrl!,
        password: secrets[id]!,
        reconnectMs: 200,
        tls: { caFile: pki.caFile, certFile: cert.certFile, keyFile: cert.keyFile },
      },
    }),
    { log },
  );
  gateways.push(g);
  return g;
}

const certificateRefusals = async () => {
  const body = (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
  return Number(
    /coldtrace_mqtt_auth_failures_total\{reason="client_certificate"\} (\d+)/.exec(body)?.[1] ?? 0,
  );
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldtrace-mtls-'));
  pki = createTestPki();
  cloud = await startCloud(
    {
      database: `sqlite:${join(dir, 'cloud.db')}`,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: {
        embedded: {
          host: '127.0.0.1',
          port: 0,
          tls: {
            certFile: pki.server.certFile,
            keyFile: pki.server.keyFile,
            clientCa: pki.caFile,
            requireClientCert: true,
          },
        },
      },
    },
    { log },
  );
  secrets['gw-a'] = await registerGateway(cloud.store, { id: 'gw-a', now: Date.now() });
  secrets['gw-b'] = await registerGateway(cloud.store, { id: 'gw-b', now: Date.now() });
});

afterAll(async () => {
  for (const g of gateways.reverse()) await g.stop();
  await cloud?.close();
  pki?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('gateway over MQTTS with mutual TLS', () => {
  it('connects with its own certificate and its status reaches the cloud', async () => {
    expect(cloud.mqttUrl).toMatch(/^mqtts:/);
    const g = await gateway('gw-a', 'gw-a');
    await until(() => g.publisher.connected, 'gw-a connected over MQTTS');
    await until(async () => (await cloud.store.getGateway('gw-a'))?.online === 1, 'gw-a online in the cloud');
  });

  it('is refused with a certificate naming another gateway, and stays disconnected', async () => {
    const before = await certificateRefusals();
    const g = await gateway('gw-b', 'gw-a');
    await until(async () => (await certificateRefusals()) > before, 'the broker to refuse gw-b');
    expect(g.publisher.connected).toBe(false);
    expect((await cloud.store.getGateway('gw-b'))?.status_at ?? null).toBeNull();
  });
});
