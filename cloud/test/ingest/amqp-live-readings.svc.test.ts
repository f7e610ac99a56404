import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayTopic, systemClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerGateway } from '../../src/gateways/register-gateway.js';
import { startAmqpSource } from '../../src/ingest/amqp-source.js';
import { amqplibConnect } from '../../src/ingest/amqplib-connect.js';
import type { IngestSource } from '../../src/ingest/ingest-source.js';
import { type IncomingMessage, type IngestOutcome, Ingestor } from '../../src/ingest/ingestor.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { readings, readingsBatch } from '../helpers/records.js';
import { startBrokerAuth, TEST_INGESTOR } from './broker-auth-server.js';
import { brokerQueueMetrics, RabbitmqNode } from './rabbitmq-node.js';

// Needs Debian's rabbitmq-server (deploy/dev-services.sh). Issue 17's storm: a critical reading published
// while other gateways' backlogs fill the coldtrace.readings.<k> partitions is consumed from a
// coldtrace.readings-live.<k> partition on its own channel, so it is stored while that backlog is still
// queued (docs/architecture.md "Live readings").

const BACKLOG_BATCHES = 200;
const BATCH = 500;
const PREFETCH = 8;

/**
 * The one ingest path; readings (not live ones) wait at a gate until `open()`: the live gateway's may hash
 * into another partition than the backlog's, and is held too. `held`: the backlog gateway's.
 */
class BacklogGatedIngestor extends Ingestor {
  held = 0;
  private release!: () => void;
  private readonly gate = new Promise<void>((r) => {
    this.release = r;
  });
  open(): void {
    this.release();
  }
  override async handle(msg: IncomingMessage): Promise<IngestOutcome> {
    if (msg.topic === gatewayTopic('gw-backlog', 'readings')) this.held++;
    if (msg.topic.endsWith('/readings')) await this.gate;
    return super.handle(msg);
  }
}

describe('RabbitMQ: live readings are not queued behind a backlog', { timeout: 180_000 }, () => {
  let dir: string;
  let store: CloudStore;
  let node: RabbitmqNode;
  let auth: Awaited<ReturnType<typeof startBrokerAuth>>;
  let source: IngestSource | undefined;
  const clients: MqttClient[] = [];
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-amqp-live-'));
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
    for (const id of ['gw-backlog', 'gw-live'])
      secrets[id] = await registerGateway(store, { id, now: Date.now() });
    auth = await startBrokerAuth(store);
    node = await RabbitmqNode.create(auth.url);
  }, 120_000);
  afterAll(async () => {
    await source?.close().catch(() => {});
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await node?.destroy();
    await auth?.app.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const connect = async (id: string) => {
    const c = await mqtt.connectAsync(node.mqttUrl, {
      clientId: id,
      username: id,
      password: secrets[id],
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    clients.push(c);
    return c;
  };
  /** The stored sequence numbers of a gateway's readings, ascending. */
  const stored = async (gatewayId: string) =>
    (
      await store.db
        .selectFrom('readings')
        .select('seq')
        .where('gateway_id', '=', gatewayId)
        .orderBy('seq')
        .execute()
    ).map((r) => Number(r.seq));

  it('stores a live reading while the backlog queued before it is still in the readings partitions', async () => {
    // The backlog, in a readings partition before any consumer exists (a broker restart's storm).
    const backlog = await connect('gw-backlog');
    const sends: Promise<unknown>[] = [];
    for (let b = 0; b < BACKLOG_BATCHES; b++) {
      const batch = readingsBatch('gw-backlog', readings(BATCH, { firstSeq: b * BATCH + 1, stepMs: 1000 }));
      sends.push(
        backlog.publishAsync(gatewayTopic('gw-backlog', 'readings'), JSON.stringify(batch), { qos: 1 }),
      );
    }
    await Promise.all(sends); // every PUBACK: all in the quorum queue
    // The same gateway's critical reading, once on readings (behind the backlog) and once live.
    const live = await connect('gw-live');
    const hot = (seq: number) =>
      JSON.stringify(readingsBatch('gw-live', readings(1, { firstSeq: seq, tempC: 15 })));
    await live.publishAsync(gatewayTopic('gw-live', 'readings'), hot(1), { qos: 1 });
    await live.publishAsync(gatewayTopic('gw-live', 'readings-live'), hot(2), { qos: 1 });

    const ingestor = new BacklogGatedIngestor({ store, clock: systemClock, log: pino({ level: 'silent' }) });
    source = await startAmqpSource({
      url: `amqp://${TEST_INGESTOR.username}:${TEST_INGESTOR.password}@127.0.0.1:${node.amqpPort}/`,
      prefetch: PREFETCH,
      queuePrefix: 'coldtrace',
      partitions: 4,
      ingestor,
      log: pino({ level: 'silent' }),
      connect: amqplibConnect,
    });
    await until(async () => (await stored('gw-live')).includes(2), 'the live reading stored');
    // Stored while the readings queue's consumer holds its prefetch of backlog batches at the gate: the rest
    // of the backlog, and the reading sent on readings after it, are still queued.
    expect(ingestor.held).toBeGreaterThan(0);
    expect(ingestor.held).toBeLessThanOrEqual(PREFETCH);
    expect(await stored('gw-backlog')).toEqual([]);
    expect(await stored('gw-live')).toEqual([2]);
    // The broker's own count, as an operator monitors it (rabbitmq_prometheus, deploy/rabbitmq/): the
    // backlog's partition has the consumer's prefetch delivered and unacknowledged, the rest ready; none
    // of the readings partitions' messages is gone. RabbitMQ refreshes these every 5 s.
    const depth = await until(
      async () => {
        const q = await brokerQueueMetrics(node.prometheusUrl);
        const parts = [...q.entries()].filter(([name]) => /^coldtrace\.readings\.\d+$/.test(name));
        const total = parts.reduce((n, [, m]) => n + m.messages, 0);
        return parts.some(([, m]) => m.unacked === PREFETCH) && total === BACKLOG_BATCHES + 1
          ? parts
          : undefined;
      },
      'the broker reporting the backlog partition with its prefetch unacknowledged',
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const backlogPartition = depth.find(([, m]) => m.unacked === PREFETCH)![1];
    expect(backlogPartition.ready).toBeGreaterThanOrEqual(BACKLOG_BATCHES - PREFETCH);

    ingestor.open();
    const total = BACKLOG_BATCHES * BATCH;
    await until(async () => (await stored('gw-backlog')).length === total, 'the backlog stored', {
      timeoutMs: 120_000,
    });
    await until(async () => (await stored('gw-live')).length === 2, 'the reading sent on readings stored');
    // Stored once each: no loss, no duplicate.
    const seqs = await stored('gw-backlog');
    expect(new Set(seqs).size).toBe(total);
    expect(await stored('gw-live')).toEqual([1, 2]);
    expect(ingestor.held).toBeGreaterThanOrEqual(BACKLOG_BATCHES);
  });
});
