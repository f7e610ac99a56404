import { gatewayTopic, systemClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAmqpSource } from '../../src/ingest/amqp-source.js';
import { amqplibConnect } from '../../src/ingest/amqplib-connect.js';
import type { IngestSource } from '../../src/ingest/ingest-source.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { ingestLayout, MQTT_EXCHANGE } from '../../src/ingest/rabbitmq-routing.js';
import { readings, readingsBatch } from '../helpers/records.js';
import { RabbitmqIngestRig } from './rabbitmq-ingest-rig.js';

// Needs PostgreSQL on 127.0.0.1:5432 and Debian's rabbitmq-server (deploy/dev-services.sh). An existing deployment upgraded to gateway-affine
// delivery (docs/operations.md "Queue layout"): what waits in the earlier layout's queues, the one quorum
// queue per stream kind or partitions above the configured count, is drained, and nothing new goes there.

const GATEWAYS = ['gw-1', 'gw-2', 'gw-3', 'gw-4', 'gw-5', 'gw-6'];
describe('RabbitMQ queue layout upgrade', { timeout: 240_000 }, () => {
  let f: RabbitmqIngestRig;
  let source: IngestSource | undefined;
  const clients: MqttClient[] = [];
  const published: Record<string, number> = {};

  beforeAll(async () => {
    f = await RabbitmqIngestRig.create(GATEWAYS);
    for (const id of GATEWAYS) {
      clients.push(await f.connect(id));
      published[id] = 0;
    }
  }, 180_000);
  afterAll(async () => {
    await source?.close().catch(() => {});
    await f?.destroy();
  });

  /** Each gateway publishes `n` more batches of 2 readings (every PUBACK: queued). */
  const publish = async (n: number) => {
    await Promise.all(
      GATEWAYS.map(async (id, i) => {
        for (let k = 0; k < n; k++) {
          const first = 2 * published[id]! + 1;
          const batch = readingsBatch(id, readings(2, { firstSeq: first }));
          await clients[i]!.publishAsync(gatewayTopic(id, 'readings'), JSON.stringify(batch), { qos: 1 });
          published[id]! += 1;
        }
      }),
    );
  };
  const allStored = async () => {
    for (const id of GATEWAYS) {
      const seqs = (await f.store.listReadings({ gatewayId: id, limit: 100_000 })).map((r) => r.seq);
      if (seqs.length !== 2 * published[id]!) return false;
    }
    return true;
  };
  const start = async (partitions: number) => {
    source = await startAmqpSource({
      url: f.amqpUrl(),
      prefetch: 16,
      queuePrefix: 'coldtrace',
      partitions,
      ingestor: new Ingestor({ store: f.store, clock: systemClock, log: pino({ level: 'silent' }) }),
      log: pino({ level: 'silent' }),
      connect: amqplibConnect,
    });
    await until(() => source!.health().ok, 'the source consuming');
  };
  const depth = async (queue: string) => (await f.node.queues())[queue]?.messages ?? 0;
  /** Messages in the readings partitions `ks`. */
  const inPartitions = async (ks: number[]) => {
    const q = await f.node.queues();
    return ks.reduce((n, k) => n + (q[`coldtrace.readings.${k}`]?.messages ?? 0), 0);
  };
  /** Stops the source once every delivery is acknowledged (none returns to a queue at the close). */
  const stop = async () => {
    await until(
      async () => Object.values(await f.node.queues()).every((q) => q.messages === 0),
      'every delivery acknowledged',
    );
    await source?.close();
    source = undefined;
  };

  it('drains the earlier one-queue-per-stream layout and routes nothing more there', async () => {
    // The broker as an earlier cloud left it: `coldtrace.<stream>` bound to amq.topic, no exchange binding.
    const conn = await amqplibConnect(f.amqpUrl());
    const ch = (await conn.createChannel()) as unknown as {
      unbindExchange(destination: string, source: string, key: string): Promise<unknown>;
      assertQueue(q: string, o: object): Promise<unknown>;
      bindQueue(q: string, x: string, key: string): Promise<unknown>;
    };
    for (const l of ingestLayout('coldtrace', 4)) {
      await ch.unbindExchange(l.exchange, MQTT_EXCHANGE, l.bindingKey);
      await ch.assertQueue(l.legacyQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      await ch.bindQueue(l.legacyQueue, MQTT_EXCHANGE, l.bindingKey);
    }
    await conn.close();
    await publish(10);
    await until(
      async () => (await depth('coldtrace.readings')) === 10 * GATEWAYS.length,
      'the backlog in coldtrace.readings',
    );
    expect(await inPartitions([0, 1, 2, 3])).toBe(0);

    await start(4);
    await until(allStored, 'the earlier queue drained');
    await stop();
    // Queued while no ingestor runs: into the partitions only, the earlier queue was unbound.
    await publish(10);
    await until(async () => (await inPartitions([0, 1, 2, 3])) === 10 * GATEWAYS.length, 'in the partitions');
    expect(await depth('coldtrace.readings')).toBe(0);
    await start(4);
    await until(allStored, 'the later batches stored');
    for (const id of GATEWAYS) {
      const seqs = (await f.store.listReadings({ gatewayId: id, limit: 100_000 })).map((r) => r.seq);
      expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, k) => k + 1));
    }
    await stop();
  });

  it('drains partitions above a lowered count and routes nothing more there', async () => {
    await publish(10);
    // Precondition: these gateways hash into partitions above 0 too.
    await until(async () => (await inPartitions([0, 1, 2, 3])) === 10 * GATEWAYS.length, 'queued');
    expect(await inPartitions([1, 2, 3])).toBeGreaterThan(0);

    await start(1);
    await until(allStored, 'every partition drained');
    await stop();
    await publish(10);
    await until(async () => (await inPartitions([0])) === 10 * GATEWAYS.length, 'in partition 0');
    expect(await inPartitions([1, 2, 3])).toBe(0);
    await start(1);
    await until(allStored, 'the later batches stored');
    await stop();
  });
});
