import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gatewayTopic } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerGateway } from '../../src/gateways/register-gateway.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { readings, readingsBatch } from '../helpers/records.js';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';
import { startBrokerAuth, TEST_INGESTOR } from './broker-auth-server.js';
import { RabbitmqNode } from './rabbitmq-node.js';

// Needs PostgreSQL on 127.0.0.1:5432 and Debian's rabbitmq-server (deploy/dev-services.sh). Three ingest
// processes (amqp-ingestor-child.ts) compete for RabbitMQ's quorum queues and commit into one PostgreSQL
// database; one is killed with SIGKILL while it holds unacknowledged messages.

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, 'amqp-ingestor-child.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const INGESTOR = TEST_INGESTOR;
const GATEWAYS = ['gw-1', 'gw-2', 'gw-3'];
const BATCHES = 200; // per gateway, 2 readings each

interface Child {
  proc: ChildProcess;
  ready: boolean;
  entered: number;
  done: number;
}

describe('several ingestors on RabbitMQ and PostgreSQL', { timeout: 180_000 }, () => {
  let pg: FreshPostgres;
  let store: CloudStore;
  let auth: Awaited<ReturnType<typeof startBrokerAuth>>;
  let node: RabbitmqNode;
  const secrets: Record<string, string> = {};
  const gateways: MqttClient[] = [];
  const children: Child[] = [];

  beforeAll(async () => {
    pg = await freshPostgresUrl();
    store = new CloudStore(await openDatabase(pg.url));
    for (const id of GATEWAYS) secrets[id] = await registerGateway(store, { id, now: Date.now() });
    auth = await startBrokerAuth(store);
    node = await RabbitmqNode.create(auth.url);
  }, 180_000);
  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    for (const g of gateways) await g.endAsync(true).catch(() => {});
    await node?.destroy();
    await auth?.app.close();
    await store?.close();
    await pg?.drop();
  });

  const startChild = (): Child => {
    const amqpUrl = `amqp://${INGESTOR.username}:${INGESTOR.password}@127.0.0.1:${node.amqpPort}/`;
    const proc = fork(CHILD, [pg.url, amqpUrl, '5'], {
      execArgv: ['--import', TSX],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const c: Child = { proc, ready: false, entered: 0, done: 0 };
    proc.on('message', (m: { ready?: boolean; entered?: number; done?: number }) => {
      if (m.ready) c.ready = true;
      if (m.entered !== undefined) c.entered = m.entered;
      if (m.done !== undefined) c.done = m.done;
    });
    children.push(c);
    return c;
  };
  const storedCount = async () =>
    Number(
      (
        await store.db
          .selectFrom('readings')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('hands a killed ingestor’s unacknowledged messages to the others, and stores every record once', async () => {
    const [a, b, c] = [startChild(), startChild(), startChild()];
    await until(() => a.ready && b.ready && c.ready, 'three ingestors consuming', { timeoutMs: 60_000 });
    for (const id of GATEWAYS) {
      gateways.push(
        await mqtt.connectAsync(node.mqttUrl, {
          clientId: id,
          username: id,
          password: secrets[id],
          protocolVersion: 4,
          clean: false,
          reconnectPeriod: 100,
        }),
      );
    }
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
    // Mid-stream: `a` has committed some and holds more it has not acknowledged.
    await until(() => a.done >= 10 && a.entered - a.done > 0, 'the first ingestor busy');
    a.proc.kill('SIGKILL');
    await new Promise((r) => a.proc.once('exit', r));
    const queuedAtKill = [...acked];
    expect(queuedAtKill.some((k) => k > 0)).toBe(true);
    // Everything queued when it died, its unacknowledged messages included, is stored by the others
    // within 10 s.
    const storedUpTo = async (id: string, k: number) => {
      const seqs = new Set((await store.listReadings({ gatewayId: id, limit: 100_000 })).map((r) => r.seq));
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
    expect(b.done + c.done).toBeGreaterThan(0);
    for (const id of GATEWAYS) {
      const seqs = (await store.listReadings({ gatewayId: id, limit: 100_000 }))
        .map((r) => r.seq)
        .sort((x, y) => x - y);
      expect(seqs).toEqual(Array.from({ length: BATCHES * 2 }, (_, i) => i + 1));
    }
    expect(await storedCount()).toBe(expected);
  });
});
