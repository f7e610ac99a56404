import { gatewayTopic } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readings, readingsBatch } from '../helpers/records.js';
import { type IngestorChild, RabbitmqIngestRig } from './rabbitmq-ingest-rig.js';

// Needs PostgreSQL on 127.0.0.1:5432 and Debian's rabbitmq-server (deploy/dev-services.sh). Three ingest
// processes (amqp-ingestor-child.ts) consume RabbitMQ's partition queues and commit into one PostgreSQL
// database; one is killed with SIGKILL while it holds unacknowledged messages, and the broker makes another
// one the active consumer of its partitions.

const GATEWAYS = ['gw-1', 'gw-2', 'gw-3'];
const BATCHES = 200; // per gateway, 2 readings each

describe('several ingestors on RabbitMQ and PostgreSQL', { timeout: 180_000 }, () => {
  let f: RabbitmqIngestRig;
  beforeAll(async () => {
    f = await RabbitmqIngestRig.create(GATEWAYS);
  }, 180_000);
  afterAll(async () => {
    await f?.destroy();
  });
  const startChild = (): IngestorChild => f.start(5);
  const storedCount = async () =>
    Number(
      (
        await f.store.db
          .selectFrom('readings')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('hands a killed ingestor’s unacknowledged messages to the others, and stores every record once', async () => {
    const [a, b, c] = [startChild(), startChild(), startChild()];
    await until(() => a.ready && b.ready && c.ready, 'three ingestors consuming', { timeoutMs: 60_000 });
    const gateways = [];
    for (const id of GATEWAYS) gateways.push(await f.connect(id));
    // Batches each gateway had acknowledged (so queued) so far.
    const acked = GATEWAYS.map(() => 0);
    const publishing = Promise.all(
      gateways.map(async (g, i) => {
        const id = GATEWAYS[i]!;
        for (let n = 0; n < BATCHES; n++) {
          const batch = readingsBatch(id, readings(2, { firstSeq: 2 * n + 1 }));
          await g.publishAsync(gatewayTopic(id, 'readings'), JSON.stringify(batch), { qos: 1 });
          acked[i] = n + 1;
        }
      }),
    );
    // Mid-stream: one ingestor has committed some and holds more it has not acknowledged (each gateway's
    // partition has one active consumer: which one got the busy ones is the broker's choice).
    const victim = await f.signalOnEntry([a, b, c], 'SIGKILL', (x) => x.done >= 10);
    const survivors = [a, b, c].filter((x) => x !== victim);
    await new Promise((r) => victim.proc.once('exit', r));
    const queuedAtKill = [...acked];
    expect(queuedAtKill.some((k) => k > 0)).toBe(true);
    // Everything queued when it died, its unacknowledged messages included, is stored by the others
    // within 10 s.
    const storedUpTo = async (id: string, k: number) => {
      const seqs = new Set((await f.store.listReadings({ gatewayId: id, limit: 100_000 })).map((r) => r.seq));
      return Array.from({ length: 2 * k }, (_, i) => i + 1).every((q) => seqs.has(q));
    };
    await until(
      async () =>
        (await Promise.all(GATEWAYS.map((id, i) => storedUpTo(id, queuedAtKill[i]!)))).every(Boolean),
      'what was queued at the kill stored by the survivors',
      { timeoutMs: 10_000 },
    );
    await publishing;
    const expected = GATEWAYS.length * BATCHES * 2;
    await until(async () => (await storedCount()) === expected, `all ${expected} readings stored`, {
      timeoutMs: 60_000,
    });
    expect(survivors[0]!.done + survivors[1]!.done).toBeGreaterThan(0);
    for (const id of GATEWAYS) {
      const seqs = (await f.store.listReadings({ gatewayId: id, limit: 100_000 }))
        .map((r) => r.seq)
        .sort((x, y) => x - y);
      expect(seqs).toEqual(Array.from({ length: BATCHES * 2 }, (_, i) => i + 1));
    }
    expect(await storedCount()).toBe(expected);
  });
});
