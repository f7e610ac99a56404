import { gatewayTopic } from '@coldtrace/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readings, readingsBatch } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * Every account is bound to its own client ids (cloud/src/broker/client-ids.ts): a CONNECT with a client
 * id already connected takes over that session (MQTT 3.1.1 §3.1.4-2), so a service account that could use
 * a gateway's id could keep that gateway offline.
 */
const ERP = 'erp-secret-0123456789';
const WMS = 'wms-secret-0123456789';
let cloud: TestCloud;
let secretA: string;
let secretB: string;

beforeAll(async () => {
  cloud = await startTestCloud({
    mqtt: {
      embedded: { host: '127.0.0.1', port: 0 },
      serviceAccounts: { erp: ERP, wms: { secret: WMS, clientIdPrefix: '_wms/' } },
    },
  });
  secretA = await cloud.addGateway('gw-a');
  secretB = await cloud.addGateway('gw-b');
});
afterAll(async () => {
  await cloud?.stop();
});

const connect = (clientId: string, username: string, password: string) =>
  mqtt.connectAsync(cloud.mqttUrl!, {
    clientId,
    username,
    password,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
const closed = (c: MqttClient) => new Promise<void>((resolve) => c.once('close', () => resolve()));
const clientIdRefusals = async () => {
  const body = (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
  return Number(/coldtrace_mqtt_auth_failures_total\{reason="client_id"\} (\d+)/.exec(body)?.[1] ?? 0);
};

describe('client ids bound to their account', () => {
  it("refuses a service account using a gateway's client id, and the gateway stays connected", async () => {
    // Precondition: a second CONNECT with the gateway's client id does knock the first connection off.
    const first = await cloud.connect('gw-a', secretA);
    const firstClosed = closed(first);
    const gw = await cloud.connect('gw-a', secretA);
    await firstClosed;
    let gwClosed = false;
    gw.once('close', () => {
      gwClosed = true;
    });

    for (const clientId of ['gw-a', 'gw-a/erp', 'mqttjs_0a1b2c3d']) {
      await expect(connect(clientId, 'erp', ERP)).rejects.toThrow(/Identifier rejected/);
    }
    // Another gateway's credentials with gw-a's client id: refused the same way.
    await expect(connect('gw-a', 'gw-b', secretB)).rejects.toThrow(/Identifier rejected/);
    expect(await clientIdRefusals()).toBe(4);

    // The gateway's connection outlived every attempt: a publish still gets its PUBACK and is stored.
    const batch = readingsBatch('gw-a', readings(3));
    await gw.publishAsync(gatewayTopic('gw-a', 'readings'), JSON.stringify(batch), { qos: 1 });
    expect(await cloud.store.listReadings({ gatewayId: 'gw-a' })).toHaveLength(3);
    expect(gwClosed).toBe(false);
    await first.endAsync(true);
    await gw.endAsync();
  });

  it('accepts a service account on its own prefix (default <username>@, or the configured one)', async () => {
    const erp = await connect('erp@wms-sync', 'erp', ERP);
    expect((await erp.subscribeAsync('coldtrace/v1/gw/+/readings', { qos: 1 })).map((g) => g.qos)).toEqual([
      1,
    ]);
    const wms = await connect('_wms/1', 'wms', WMS);
    // The configured prefix replaces the default one.
    await expect(connect('wms@1', 'wms', WMS)).rejects.toThrow(/Identifier rejected/);
    // A wrong secret stays a credentials refusal, whatever the client id.
    await expect(connect('erp@x', 'erp', 'not-the-secret-000')).rejects.toThrow(/Bad username or password/);
    await erp.endAsync();
    await wms.endAsync();
  });
});
