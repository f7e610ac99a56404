import { encodeGatewayPayload, eventTopic, gatewayTopic, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, login, type Session } from '../helpers/auth.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { injectJson, startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

// Needs `mosquitto` and `mosquitto_passwd` (Debian package mosquitto). docs/architecture.md "Integrations":
// lock, unlock and disposition events on MQTT `coldtrace/v1/events/...`, here through an external broker (the
// scaled deployment, embedded aedes off), delivered from the durable outbox only on the broker's PUBACK.

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);
const MIN = 60_000;
const GTIN = '80614141123458';
const EPC_A = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 501 });
const EPC_B = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 502 });
const INGESTOR = { username: 'coldtrace-ingestor', password: 'ingestor-secret-0123456789' };
const ERP = { username: 'coldtrace-erp', password: 'erp-secret-0123456789' };
const GW = { id: 'gw-truck', secret: 'gw-truck-secret-0123456789' };

interface Received {
  topic: string;
  event: { type: string; lotId?: string | null; units: Array<{ epc: string; lotId: string | null }> };
}

describe('MQTT integration events through an external Mosquitto', { timeout: 90_000 }, () => {
  let broker: Mosquitto;
  let cloud: TestCloud;
  let erp: MqttClient;
  let admin: { authorization: string };
  let qa: { username: string; password: string; session: Session };
  let excursionId: string;
  const received: Received[] = [];

  const api = (method: string, url: string, payload?: unknown, headers: object = admin) =>
    injectJson(cloud, method, url, payload, headers);
  const mqttRows = () =>
    cloud.evaluator.engine.db
      .selectFrom('outbox')
      .selectAll()
      .where('target', '=', 'mqtt')
      .orderBy('id')
      .execute();
  const release = (lotId: string) =>
    api(
      'POST',
      `/api/v1/excursions/${encodeURIComponent(excursionId)}/dispositions`,
      {
        lotId,
        decision: 'release',
        reason: 'within stability budget',
        username: qa.username,
        password: qa.password,
      },
      qa.session.headers,
    );
  const dispositionsFor = (lotId: string) =>
    received.filter((r) => r.topic === eventTopic('disposition') && r.event.lotId === lotId);

  beforeAll(async () => {
    broker = await Mosquitto.create({
      [INGESTOR.username]: INGESTOR.password,
      [ERP.username]: ERP.password,
      [GW.id]: GW.secret,
    });
    cloud = await startTestCloud({
      mqtt: {
        embedded: { enabled: false },
        external: { url: broker.url, ...INGESTOR, clientId: 'coldtrace-ingestor-events' },
      },
    });
    await cloud.store.upsertGateway({ id: GW.id, now: Date.now() });
    admin = await bearer(cloud, ['admin']);
    for (const id of ['dock', 'truck-1']) {
      const r = await api('PUT', `/api/v1/locations/${id}`, {
        name: id,
        kind: id === 'dock' ? 'room' : 'vehicle',
        minC: 2,
        maxC: 8,
        alarmDelayMs: 10 * MIN,
        criticalMarginC: 5,
        maxGapMs: 30 * MIN,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const product = { name: 'Vaccine', minC: 2, maxC: 8, stabilityBudgetMs: 3_600_000 };
    expect((await api('PUT', `/api/v1/products/${GTIN}`, product)).status).toBe(200);
    for (const [lot, epc] of [
      ['LOT-A', EPC_A],
      ['LOT-B', EPC_B],
    ] as const) {
      const l = { gtin: GTIN, lotNumber: lot.replace('-', ''), expiry: '2027-06-30' };
      expect((await api('PUT', `/api/v1/lots/${lot}`, l)).status).toBe(200);
      expect((await api('POST', `/api/v1/lots/${lot}/epcs`, { epcs: [epc] })).status).toBe(200);
    }
    const user = await createUser(cloud.store, { roles: ['qa'], printedName: 'Quinn QA' });
    qa = { ...user, session: await login(cloud, user.username, user.password) };

    // The ERP's subscriber: a persistent MQTT 5 session, QoS 1, reconnecting by itself.
    erp = await mqtt.connectAsync(broker.url, {
      clientId: 'erp-subscriber',
      ...ERP,
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 300,
    });
    erp.on('message', (topic, payload) => received.push({ topic, event: JSON.parse(payload.toString()) }));
    await erp.subscribeAsync('coldtrace/v1/events/#', { qos: 1 });
  });
  afterAll(async () => {
    await erp?.endAsync(true);
    await cloud?.stop();
    await broker?.destroy();
  });

  it('publishes the lock of an excursion ingested through the broker, marked delivered only after PUBACK', async () => {
    const gw = await mqtt.connectAsync(broker.url, {
      clientId: GW.id,
      username: GW.id,
      password: GW.secret,
      reconnectPeriod: 0,
    });
    const moves = [EPC_A, EPC_B].map((epc, i) => ({
      seq: i + 1,
      epc,
      portalId: 'door',
      kind: 'pass',
      from: 'dock',
      to: 'truck-1',
      direction: 'in',
      ts: T0,
      firstSeen: T0,
      lastSeen: T0,
      reads: 3,
      peakRssi: -40,
    }));
    const batch = (stream: 'movements' | 'readings', records: unknown[]) =>
      encodeGatewayPayload(stream, {
        gatewayId: GW.id,
        firstSeq: 1,
        lastSeq: records.length,
        sentAt: T0,
        records,
      } as never);
    const readings = Array.from({ length: 13 }, (_, i) => ({
      seq: i + 1,
      sensorId: 'reefer',
      locationId: 'truck-1',
      ts: T0 + 60_000 + i * 5 * MIN,
      tempC: i >= 4 && i < 9 ? 12 : 5,
      quality: 'ok',
    }));
    await gw.publishAsync(gatewayTopic(GW.id, 'movements'), batch('movements', moves), { qos: 1 });
    await gw.publishAsync(gatewayTopic(GW.id, 'readings'), batch('readings', readings), { qos: 1 });
    await gw.endAsync();

    const lock = await until(
      () => received.find((r) => r.topic === eventTopic('lock')),
      'the lock event at the ERP subscriber',
      { timeoutMs: 20_000 },
    );
    expect(lock.event.units.map((u) => u.epc).sort()).toEqual([EPC_A, EPC_B].sort());
    expect(lock.event.units.map((u) => u.lotId).sort()).toEqual(['LOT-A', 'LOT-B']);
    excursionId = (await api('GET', '/api/v1/excursions')).body[0].id;
    const rows = await until(async () => {
      const r = await mqttRows();
      return r.length > 0 && r.every((x) => x.delivered_at !== null) ? r : null;
    }, 'the MQTT outbox rows delivered');
    expect(rows.map((r) => r.event)).toEqual(['lock']);
  });

  it('loses no event across a broker restart: queued ones survive it, ones made while it is down wait in the outbox', async () => {
    // The ERP goes away (its session stays); lot A is released: Mosquitto acknowledges and queues it.
    await erp.endAsync();
    expect((await release('LOT-A')).status).toBe(201);
    await until(async () => {
      const r = await mqttRows();
      return r.some((x) => x.event === 'disposition') && r.every((x) => x.delivered_at !== null);
    }, 'lot A’s events acknowledged by the broker');

    // The broker restarts with its persistence file; lot B is released while it is down.
    await broker.stop('SIGTERM');
    expect(broker.logText()).toMatch(/Saving in-memory database/);
    expect((await release('LOT-B')).status).toBe(201);
    const pending = await until(async () => {
      const r = (await mqttRows()).filter((x) => x.delivered_at === null);
      return r.length > 0 && r.every((x) => x.attempts > 0 && x.last_error) ? r : null;
    }, 'lot B’s events pending with a delivery error');
    expect(pending.map((r) => r.event)).toContain('disposition');
    expect(pending[0]!.last_error).toMatch(/not connected|PUBACK|publish/);

    await broker.start();
    erp.reconnect();
    await until(
      () => dispositionsFor('LOT-A').length > 0 && dispositionsFor('LOT-B').length > 0,
      'both lots’ disposition events at the ERP subscriber',
      { timeoutMs: 30_000 },
    );
    await until(
      async () => (await mqttRows()).every((x) => x.delivered_at !== null),
      'every MQTT outbox row delivered',
    );
    expect(dispositionsFor('LOT-A')[0]!.event.units).toEqual([{ epc: EPC_A, lotId: 'LOT-A' }]);
    expect(dispositionsFor('LOT-B')[0]!.event.units).toEqual([{ epc: EPC_B, lotId: 'LOT-B' }]);
    // Every event the outbox holds reached the ERP (at least once).
    const topics = new Set(received.map((r) => r.topic));
    for (const row of await mqttRows()) expect(topics).toContain(eventTopic(row.event));
  });
});
