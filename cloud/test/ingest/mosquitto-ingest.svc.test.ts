import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayTopic, type ReadingsBatch } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfigInput } from '../../src/config.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { readings, readingsBatch } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { type FreshPostgres, freshPostgresUrl } from '../store/pg-fresh.js';

// Needs `mosquitto` and `mosquitto_passwd` (Debian package mosquitto) and PostgreSQL on 127.0.0.1:5432
// (deploy/dev-services.sh). Runs its own mosquitto on an ephemeral port; the system one stays untouched.

const INGESTOR = { username: 'coldtrace-ingestor', password: 'ingestor-secret-0123456789' };
const GATEWAYS: Record<string, string> = { 'gw-a': 'secret-a-0123456789', 'gw-b': 'secret-b-0123456789' };

const connectGateway = (url: string, id: string, opts: mqtt.IClientOptions = {}) =>
  mqtt.connectAsync(url, {
    clientId: id,
    username: id,
    password: GATEWAYS[id],
    reconnectPeriod: 0,
    ...opts,
  });

/** Sequence numbers of gateway batches, per gateway. */
const nextSeq: Record<string, number> = {};
function batch(id: string, n: number): ReadingsBatch {
  const first = (nextSeq[id] ?? 0) + 1;
  nextSeq[id] = first + n - 1;
  return readingsBatch(id, readings(n, { firstSeq: first })) as ReadingsBatch;
}

describe('ingest through an external Mosquitto', { timeout: 40_000 }, () => {
  let broker: Mosquitto;
  let dbDir: string;
  let cloud: TestCloud | undefined;
  let a: MqttClient;

  const startIngestor = async (over: Partial<CloudConfigInput> = {}) => {
    const c = await startTestCloud({
      database: `sqlite:${join(dbDir, 'cloud.db')}`,
      mqtt: {
        embedded: { enabled: false },
        external: { url: broker.url, ...INGESTOR, clientId: 'coldtrace-ingestor-1' },
      },
      ...over,
    });
    for (const id of Object.keys(GATEWAYS)) await c.store.upsertGateway({ id, now: Date.now() });
    return c;
  };
  const stored = async (id: string) => (await cloud!.store.listReadings({ gatewayId: id })).map((r) => r.seq);
  const publish = (client: MqttClient, id: string, b: ReadingsBatch) =>
    client.publishAsync(gatewayTopic(id, 'readings'), JSON.stringify(b), { qos: 1 });
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  beforeAll(async () => {
    broker = await Mosquitto.create({ [INGESTOR.username]: INGESTOR.password, ...GATEWAYS });
    dbDir = mkdtempSync(join(tmpdir(), 'coldtrace-mosq-db-'));
    cloud = await startIngestor();
    a = await connectGateway(broker.url, 'gw-a');
  });
  afterAll(async () => {
    await a?.endAsync(true);
    await cloud?.stop();
    await broker?.destroy();
    if (dbDir) rmSync(dbDir, { recursive: true, force: true });
  });

  it('stores a gateway’s batches exactly once, duplicates included', async () => {
    const batches = [batch('gw-a', 10), batch('gw-a', 10), batch('gw-a', 5)];
    for (const b of batches) await publish(a, 'gw-a', b);
    await publish(a, 'gw-a', batches[1]!); // a redelivery after a lost PUBACK
    // The redelivery was handled (its 10 records counted as duplicates) before "stored once" is checked.
    await until(
      async () =>
        /^coldtrace_ingest_records_total\{stream="readings",result="duplicate"\} 10$/m.test(
          (await cloud!.app.inject({ method: 'GET', url: '/metrics' })).body,
        ),
      'the redelivered batch counted as duplicates',
    );
    expect(await stored('gw-a')).toEqual(upTo(25));
    const [cov] = await cloud!.store.coverage('gw-a');
    expect(cov).toMatchObject({ highWater: 25, holes: [] });
  });

  it('drops a publish under another gateway’s root (ACL): nothing stored', async () => {
    const forged = readingsBatch('gw-b', readings(3, { firstSeq: 1 })) as ReadingsBatch;
    const closed = new Promise<void>((r) => a.once('close', () => r()));
    await a.publishAsync(gatewayTopic('gw-b', 'readings'), JSON.stringify(forged), { qos: 1 });
    // Mosquitto 2.0 acknowledges the forbidden publish, drops it, and closes the connection of an MQTT 3.1.1
    // client; the gateway's publisher reconnects. A message after it: once that is stored, the forged one
    // had its chance to be delivered.
    await closed;
    await a.endAsync(true);
    a = await connectGateway(broker.url, 'gw-a');
    await publish(a, 'gw-a', batch('gw-a', 1));
    await until(async () => (await stored('gw-a')).length === 26, 'the following batch');
    expect(await stored('gw-b')).toEqual([]);
    expect((await cloud!.store.listDeadLetters()).filter((d) => d.gateway_id === 'gw-b')).toEqual([]);
  });

  it('dead-letters a payload that names another gateway', async () => {
    const before = (await cloud!.store.counts()).deadLetters;
    const other = readingsBatch('gw-b', readings(2, { firstSeq: 1 }));
    await a.publishAsync(gatewayTopic('gw-a', 'readings'), JSON.stringify(other), { qos: 1 });
    const dl = await until(
      async () => (await cloud!.store.listDeadLetters()).find((d) => d.code === 'gateway_mismatch'),
      'a gateway_mismatch dead letter',
    );
    expect(dl).toMatchObject({ gateway_id: 'gw-a', topic: gatewayTopic('gw-a', 'readings') });
    expect((await cloud!.store.counts()).deadLetters).toBe(before + 1);
    expect(await stored('gw-b')).toEqual([]);
  });

  it('delivers everything published while the ingestor was stopped (persistent session)', async () => {
    await cloud!.stop();
    cloud = undefined;
    // Acknowledged by Mosquitto and queued for the ingestor's session (clean=false, QoS 1).
    for (let i = 0; i < 20; i++) await publish(a, 'gw-a', batch('gw-a', 5));
    cloud = await startIngestor();
    await until(async () => (await stored('gw-a')).length === 126, '126 readings', { timeoutMs: 20_000 });
    expect(await stored('gw-a')).toEqual(upTo(126));
  });

  it('loses nothing acknowledged when Mosquitto is restarted with the same persistence file', async () => {
    await cloud!.stop();
    cloud = undefined;
    for (let i = 0; i < 20; i++) await publish(a, 'gw-a', batch('gw-a', 5));
    await a.endAsync(true);
    await broker.stop('SIGTERM');
    expect(broker.logText()).toMatch(/Saving in-memory database/);
    await broker.start();
    a = await connectGateway(broker.url, 'gw-a');
    cloud = await startIngestor();
    await until(async () => (await stored('gw-a')).length === 226, '226 readings', { timeoutMs: 20_000 });
    expect(await stored('gw-a')).toEqual(upTo(226));
  });

  it('stores a live batch (readings-live) in the same readings stream', async () => {
    // Precondition: the earlier cases left gw-a's stream at 226.
    expect(await stored('gw-a')).toEqual(upTo(226));
    const live = batch('gw-a', 2);
    await a.publishAsync(gatewayTopic('gw-a', 'readings-live'), JSON.stringify(live), { qos: 1 });
    await until(async () => (await stored('gw-a')).length === 228, 'the live batch stored');
    expect(await stored('gw-a')).toEqual(upTo(228));
    expect((await cloud!.store.coverage('gw-a'))[0]).toMatchObject({ highWater: 228, holes: [] });
  });

  describe('two ingestors with an MQTT 5 shared subscription on PostgreSQL', () => {
    let pg: FreshPostgres;
    const ingestors: TestCloud[] = [];
    beforeAll(async () => {
      pg = await freshPostgresUrl();
    });
    afterAll(async () => {
      for (const c of ingestors) await c.stop();
      await pg?.drop();
    });

    it('splits the load between them and stores each record once', async () => {
      for (const n of [1, 2]) {
        ingestors.push(
          await startIngestor({
            database: pg.url,
            mqtt: {
              embedded: { enabled: false },
              external: {
                url: broker.url,
                ...INGESTOR,
                clientId: `coldtrace-shared-${n}`,
                sharedGroup: 'coldtrace',
              },
            },
          }),
        );
      }
      const b = await connectGateway(broker.url, 'gw-b');
      const batches = Array.from({ length: 40 }, () => batch('gw-b', 5));
      try {
        for (const x of batches) await publish(b, 'gw-b', x);
        // Redeliveries (here: the same batches again) may reach either member: stored once all the same.
        for (const x of batches.slice(0, 10)) await publish(b, 'gw-b', x);
      } finally {
        await b.endAsync();
      }
      const store = ingestors[0]!.store;
      await until(
        async () => (await store.listReadings({ gatewayId: 'gw-b' })).length === 200,
        '200 readings in PostgreSQL',
        { timeoutMs: 20_000 },
      );
      const handled = async (c: TestCloud) => {
        const text = (await c.app.inject({ method: 'GET', url: '/metrics' })).body;
        return [
          ...text.matchAll(/^coldtrace_ingest_records_total\{[^}]*stream="readings"[^}]*\} (\d+)/gm),
        ].reduce((n, m) => n + Number(m[1]), 0);
      };
      await until(
        async () => (await handled(ingestors[0]!)) + (await handled(ingestors[1]!)) === 250,
        'all 50 messages handled',
      );
      const [h1, h2] = [await handled(ingestors[0]!), await handled(ingestors[1]!)];
      expect(h1).toBeGreaterThan(0);
      expect(h2).toBeGreaterThan(0);
      const rows = await store.listReadings({ gatewayId: 'gw-b' });
      expect(rows.map((r) => r.seq)).toEqual(upTo(200));
      expect((await store.coverage('gw-b'))[0]).toMatchObject({ highWater: 200, holes: [] });
    });
  });
});
