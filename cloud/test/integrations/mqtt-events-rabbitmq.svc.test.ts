import { encodeGatewayPayload, eventTopic, gatewayTopic, parseTopic, sgtin96Hex } from '@coldtrace/shared';
import { freePort, until } from '@coldtrace/shared/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, login, type Session } from '../helpers/auth.js';
import { securityActions } from '../helpers/security-actions.js';
import { injectJson, startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { TEST_INGESTOR } from '../ingest/broker-auth-server.js';
import { RabbitmqNode } from '../ingest/rabbitmq-node.js';

// Needs Debian's rabbitmq-server (deploy/dev-services.sh). The RabbitMQ deployment (docs/operations.md
// "Several machines: RabbitMQ"): a gateway publishes over the MQTT plugin, the cloud ingests over AMQP and
// publishes its integration events over AMQP (integrations/amqp-event-publisher.ts), and an ERP service
// account subscribed through the plugin receives them as MQTT `coldtrace/v1/events/...`. Own node
// (rabbitmq-node.ts) on deploy/rabbitmq/'s config, asking this test's cloud who may do what.

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);
const MIN = 60_000;
const GTIN = '80614141123458';
const EPC = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 601 });
const ERP = { username: 'erp', password: 'erp-secret-0123456789', clientId: 'erp@events-1' };
const GW = 'gw-reefer';

interface Received {
  topic: string;
  /** The topic as the shared wire contract reads it. */
  parsed: ReturnType<typeof parseTopic>;
  event: { type: string; lotId?: string | null; decision?: string; units: { epc: string }[] };
}

describe('MQTT integration events through RabbitMQ’s MQTT plugin', { timeout: 240_000 }, () => {
  let node: RabbitmqNode;
  let cloud: TestCloud;
  let erp: MqttClient;
  let admin: { authorization: string };
  let qa: { username: string; password: string; session: Session };
  let gwSecret: string;
  const received: Received[] = [];

  const api = (method: string, url: string, payload?: unknown, headers: object = admin) =>
    injectJson(cloud, method, url, payload, headers);
  const mqttRows = () =>
    cloud.store.db.selectFrom('outbox').selectAll().where('target', '=', 'mqtt').orderBy('id').execute();
  const ingestReady = async () =>
    (await cloud.app.inject({ method: 'GET', url: '/readyz' })).json().checks.rabbitmq_ingest?.ok === true;
  const of = (type: string) => received.filter((r) => r.event.type === type);

  beforeAll(async () => {
    // The node asks the cloud's /broker/auth/* and the cloud connects to the node's AMQP port: the cloud's
    // HTTP port is chosen first, and the cloud's AMQP clients retry until its HTTP API answers.
    const httpPort = await freePort();
    node = await RabbitmqNode.create(`http://127.0.0.1:${httpPort}`, { cacheTtlMs: 1000 });
    cloud = await startTestCloud({
      http: { host: '127.0.0.1', port: httpPort },
      mqtt: {
        embedded: { enabled: false },
        serviceAccounts: { [ERP.username]: ERP.password },
        rabbitmq: {
          amqpUrl: `amqp://${TEST_INGESTOR.username}:${TEST_INGESTOR.password}@127.0.0.1:${node.amqpPort}/`,
        },
      },
    });
    expect(cloud.modules).toContain('rabbitmq events');
    gwSecret = await cloud.addGateway(GW);
    admin = await bearer(cloud, ['admin']);
    for (const id of ['dock', 'reefer-1']) {
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
    const lot = { gtin: GTIN, lotNumber: 'LOTR1', expiry: '2027-06-30' };
    expect((await api('PUT', '/api/v1/lots/LOT-R1', lot)).status).toBe(200);
    expect((await api('POST', '/api/v1/lots/LOT-R1/epcs', { epcs: [EPC] })).status).toBe(200);
    const user = await createUser(cloud.store, { roles: ['qa'], printedName: 'Quinn QA' });
    qa = { ...user, session: await login(cloud, user.username, user.password) };
    await until(ingestReady, 'the cloud consuming the RabbitMQ queues', { timeoutMs: 60_000 });

    // The ERP: a persistent session (its subscription queue is durable), QoS 1, reconnecting by itself.
    // RabbitMQ 3.10 speaks MQTT 3.1.1 only.
    erp = await mqtt.connectAsync(node.mqttUrl, {
      clientId: ERP.clientId,
      username: ERP.username,
      password: ERP.password,
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 500,
      connectTimeout: 10_000,
    });
    erp.on('message', (topic, payload) =>
      received.push({ topic, parsed: parseTopic(topic), event: JSON.parse(payload.toString()) }),
    );
    const granted = await erp.subscribeAsync('coldtrace/v1/events/#', { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
  }, 240_000);
  afterAll(async () => {
    await erp?.endAsync(true).catch(() => {});
    await cloud?.stop();
    await node?.destroy();
  });

  it('delivers the lock of a critical reading a gateway published through the plugin, once, to the ERP', async () => {
    const gw = await mqtt.connectAsync(node.mqttUrl, {
      clientId: GW,
      username: GW,
      password: gwSecret,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    const batch = (stream: 'movements' | 'readings', records: unknown[]) =>
      encodeGatewayPayload(stream, {
        gatewayId: GW,
        firstSeq: 1,
        lastSeq: records.length,
        sentAt: T0,
        records,
      } as never);
    const move = {
      seq: 1,
      epc: EPC,
      portalId: 'door',
      kind: 'pass',
      from: 'dock',
      to: 'reefer-1',
      direction: 'in',
      ts: T0,
      firstSeen: T0,
      lastSeen: T0,
      reads: 3,
      peakRssi: -40,
    };
    // The third reading is past the critical margin (8 + 5 °C): an excursion at once, and the unit locked.
    const readings = [5, 5, 20].map((tempC, i) => ({
      seq: i + 1,
      sensorId: 'reefer-probe',
      locationId: 'reefer-1',
      ts: T0 + MIN + i * MIN,
      tempC,
      quality: 'ok',
    }));
    await gw.publishAsync(gatewayTopic(GW, 'movements'), batch('movements', [move]), { qos: 1 });
    await gw.publishAsync(gatewayTopic(GW, 'readings'), batch('readings', readings), { qos: 1 });
    await gw.endAsync();

    const lock = await until(() => of('lock')[0], 'the lock event at the ERP subscriber', {
      timeoutMs: 60_000,
    });
    expect(lock.topic).toBe(eventTopic('lock'));
    expect(lock.parsed).toEqual({ kind: 'event', event: 'lock' });
    expect(lock.event.units).toEqual([{ epc: EPC, lotId: 'LOT-R1' }]);
    const rows = await until(async () => {
      const r = await mqttRows();
      return r.length > 0 && r.every((x) => x.delivered_at !== null) ? r : null;
    }, 'the MQTT outbox rows delivered');
    expect(rows.map((r) => r.event)).toEqual(['lock']);
    // The event key matches no ingest queue's binding: the ingestor saw no message it could not place.
    const deadLetters = await cloud.store.db.selectFrom('dead_letters').select('id').execute();
    expect(deadLetters).toEqual([]);
  });

  it('keeps an event made while RabbitMQ is down pending in the outbox, and delivers it after the restart', async () => {
    const excursionId = (await api('GET', '/api/v1/excursions')).body[0].id as string;
    await node.stop();
    const reject = await api(
      'POST',
      `/api/v1/excursions/${encodeURIComponent(excursionId)}/dispositions`,
      {
        lotId: 'LOT-R1',
        decision: 'reject',
        reason: 'above the critical margin',
        username: qa.username,
        password: qa.password,
      },
      qa.session.headers,
    );
    expect(reject.status, JSON.stringify(reject.body)).toBe(201);
    const pending = await until(async () => {
      const r = (await mqttRows()).filter((x) => x.delivered_at === null);
      return r.length > 0 && r.every((x) => x.attempts > 0 && x.last_error) ? r : null;
    }, 'the disposition event pending with a delivery error');
    expect(pending.map((r) => r.event)).toEqual(['disposition']);
    expect(pending[0]!.last_error).toMatch(/RabbitMQ .* (is not connected|was lost|did not take)/);
    expect(of('disposition')).toEqual([]);

    await node.start();
    const disposition = await until(
      () => of('disposition')[0],
      'the disposition event at the ERP subscriber',
      {
        timeoutMs: 120_000,
      },
    );
    expect(disposition.parsed).toEqual({ kind: 'event', event: 'disposition' });
    expect(disposition.event).toMatchObject({ decision: 'reject', lotId: 'LOT-R1' });
    await until(
      async () => (await mqttRows()).every((x) => x.delivered_at !== null),
      'every MQTT outbox row delivered',
    );
    // One subscription queue, in order: the lock came before the disposition, and only once.
    expect(received.map((r) => r.event.type)).toEqual(['lock', 'disposition']);
  });

  it('closes the connection of a gateway subscribing to the events, as a security event', async () => {
    const clientId = `${GW}/listener`;
    const gw = await mqtt.connectAsync(node.mqttUrl, {
      clientId,
      username: GW,
      password: gwSecret,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    expect(gw.connected).toBe(true);
    let subscribed = false;
    const closed = new Promise<void>((resolve) => gw.once('close', () => resolve()));
    gw.subscribe('coldtrace/v1/events/#', { qos: 1 }, (err, granted) => {
      if (!err && granted?.some((g) => g.qos !== 128)) subscribed = true;
    });
    // RabbitMQ 3.10 answers a refused subscription by closing the connection (no SUBACK failure code).
    await closed;
    expect(subscribed).toBe(false);
    await until(
      async () => (await securityActions(cloud.store, clientId)).includes('security.permission_denied'),
      'the refusal on the audit trail',
    );
    await gw.endAsync(true);
  });
});
