import { gatewayTopic } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerGateway } from '../../src/gateways/register-gateway.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { metricValue, scrapeMetrics } from '../helpers/metrics.js';
import { readings, readingsBatch } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { startBrokerAuth, TEST_INGESTOR } from '../ingest/broker-auth-server.js';
import { RabbitmqNode } from '../ingest/rabbitmq-node.js';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';

// Needs PostgreSQL and Debian's rabbitmq-server (deploy/dev-services.sh). The lag metrics of the scaled
// deployment (docs/operations.md "Monitoring: lag"): a gateway publishes into RabbitMQ, a cloud consumes
// its queues into PostgreSQL; while a lock holds the readings table, ingest stalls and the metrics show it
// (messages in ingest, waiting in the queue, the pool busy), then drain once it is released.

const PREFETCH = 4;
const BATCHES = 40;

describe('lag metrics on RabbitMQ and PostgreSQL', { timeout: 180_000 }, () => {
  let db: FreshPostgres;
  let authStore: CloudStore;
  let auth: Awaited<ReturnType<typeof startBrokerAuth>>;
  let node: RabbitmqNode;
  let cloud: TestCloud;
  let gw: MqttClient;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await freshPostgresUrl();
    // RabbitMQ asks this listener who may log in (the same database as the cloud below).
    authStore = new CloudStore(await openDatabase(db.url));
    const secret = await registerGateway(authStore, { id: 'gw-q', now: Date.now() });
    auth = await startBrokerAuth(authStore);
    node = await RabbitmqNode.create(auth.url);
    cloud = await startTestCloud({
      database: db.url,
      databasePool: { size: 3, connectionTimeoutMs: 60_000 },
      mqtt: {
        embedded: { enabled: false },
        rabbitmq: {
          amqpUrl: `amqp://${TEST_INGESTOR.username}:${TEST_INGESTOR.password}@127.0.0.1:${node.amqpPort}/`,
          prefetch: PREFETCH,
          queueDepthIntervalMs: 200,
        },
      },
    });
    await until(async () => (await cloud.app.inject({ url: '/readyz' })).statusCode === 200, 'consuming');
    gw = await mqtt.connectAsync(node.mqttUrl, {
      clientId: 'gw-q',
      username: 'gw-q',
      password: secret,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  }, 180_000);
  afterAll(async () => {
    await admin?.end().catch(() => {});
    await gw?.endAsync(true).catch(() => {});
    await cloud?.stop();
    await node?.destroy();
    await auth?.app.close();
    await authStore?.close();
    await db?.drop();
  });

  const scrape = () => scrapeMetrics(cloud);
  const value = metricValue;
  const metric = async (series: string) => value(await scrape(), series);
  /** Ready messages over the readings partitions (gw-q's batches all hash into one of them). */
  const readingsReady = (m: string) => {
    const each = [0, 1, 2, 3].map((k) =>
      value(m, `coldtrace_broker_queue_messages{queue="coldtrace.readings.${k}"}`),
    );
    return each.includes(undefined) ? undefined : each.reduce((a, b) => a! + b!, 0);
  };
  const publish = (firstSeq: number) =>
    gw.publishAsync(
      gatewayTopic('gw-q', 'readings'),
      JSON.stringify(readingsBatch('gw-q', readings(5, { firstSeq }))),
      { qos: 1 },
    );

  it('the pool gauges say the configured size and the connections open', async () => {
    const m = await scrape();
    expect(value(m, 'coldtrace_store_pool_max_connections')).toBe(3);
    const total = value(m, 'coldtrace_store_pool_connections{state="total"}')!;
    expect(total).toBeGreaterThanOrEqual(1);
    expect(total).toBeLessThanOrEqual(3);
    expect(value(m, 'coldtrace_store_pool_connections{state="waiting"}')).toBe(0);
    expect(readingsReady(m)).toBe(0);
  });

  it('a stalled store: messages in ingest, a queue that grows, a busy pool; then all drained', async () => {
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE readings IN EXCLUSIVE MODE');
    try {
      for (let i = 0; i < BATCHES; i++) await publish(1 + i * 5);
      // The ingestor holds its prefetch, each waiting on the lock; the rest waits in the queue.
      await until(
        async () => (await metric('coldtrace_ingest_in_flight_messages')) === PREFETCH,
        'the prefetched messages in ingest',
      );
      await until(
        async () => readingsReady(await scrape()) === BATCHES - PREFETCH,
        'the rest ready in the queue',
      );
      // Ingest commits in groups (store/ingest/kysely-ingest-backend.ts): two group transactions hold a
      // connection each, blocked on the lock; the other prefetched messages wait for the next group.
      const m = await scrape();
      const total = value(m, 'coldtrace_store_pool_connections{state="total"}')!;
      expect(total).toBeLessThanOrEqual(3);
      expect(total - value(m, 'coldtrace_store_pool_connections{state="idle"}')!).toBeGreaterThanOrEqual(2);
      expect(value(m, 'coldtrace_ingest_latency_seconds_count{outcome="stored"}')).toBeUndefined();
    } finally {
      await admin.query('ROLLBACK');
    }
    await until(
      async () => (await metric('coldtrace_ingest_latency_seconds_count{outcome="stored"}')) === BATCHES,
      'every batch committed',
    );
    await until(async () => {
      const m = await scrape();
      return readingsReady(m) === 0 && value(m, 'coldtrace_ingest_in_flight_messages') === 0;
    }, 'the queue drained');
    const m = await scrape();
    // The stall shows in the latency: the first batches waited for the lock.
    expect(value(m, 'coldtrace_ingest_latency_seconds_sum{outcome="stored"}')).toBeGreaterThan(0.05);
    expect(value(m, 'coldtrace_ingest_data_age_seconds{gateway="gw-q"}')).toBeGreaterThan(0);
    expect(value(m, 'coldtrace_store_pool_connections{state="waiting"}')).toBe(0);
    expect(await cloud.store.listReadings({ gatewayId: 'gw-q' })).toHaveLength(BATCHES * 5);
  });
});
