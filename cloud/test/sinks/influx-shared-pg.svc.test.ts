import type { ReadingsBatch } from '@coldtrace/shared';
import { systemClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxClient } from '../../src/sinks/influx-client.js';
import { INFLUX_SINK, InfluxSink } from '../../src/sinks/influx-sink.js';
import { SinkOutbox } from '../../src/sinks/sink-outbox.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { readings, readingsBatch } from '../helpers/records.js';
import { freshPostgresUrl } from '../store/pg-fresh.js';
import { type InfluxdProcess, startInfluxd } from './influxd-process.js';

// Needs `influxd` (Debian package influxdb, 1.x) and PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh).

const DB = 'coldtrace_shared';
const N = 2_000;

/** Points written, as each sink's own counter says. */
async function written(registry: Registry): Promise<number> {
  const m = await registry.getSingleMetric('coldtrace_influx_points_written_total')?.get();
  return m?.values.reduce((n, v) => n + v.value, 0) ?? 0;
}

describe('the InfluxDB sink in several cloud processes sharing PostgreSQL', () => {
  let influxd: InfluxdProcess;
  let stores: CloudStore[] = [];
  let drop: () => Promise<void>;
  const sinks: InfluxSink[] = [];
  const registries = [new Registry(), new Registry(), new Registry()];

  beforeAll(async () => {
    influxd = await startInfluxd();
    const pg = await freshPostgresUrl();
    drop = pg.drop;
    stores = [
      new CloudStore(await openDatabase(pg.url)),
      new CloudStore(await openDatabase(pg.url)),
      new CloudStore(await openDatabase(pg.url)),
    ];
    await stores[0]!.upsertGateway({ id: 'g1', now: 0 });
    await new SinkOutbox(stores[0]!.db, INFLUX_SINK).setEnabled(true, 1);
    for (let first = 1; first <= N; first += 500) {
      const batch = readingsBatch('g1', readings(500, { firstSeq: first })) as ReadingsBatch;
      expect((await stores[0]!.ingestReadings('g1', batch, 2)).inserted).toBe(500);
    }
  });
  afterAll(async () => {
    for (const s of sinks) await s.close();
    for (const s of stores) await s.close();
    await drop?.();
    await influxd?.destroy();
  });

  it('sends each reading once: only the process holding the sink lane sends', async () => {
    const outbox = new SinkOutbox(stores[0]!.db, INFLUX_SINK);
    expect(await outbox.backlog()).toBe(N);
    for (const [i, store] of stores.entries()) {
      sinks.push(
        new InfluxSink({
          db: store.db,
          dialect: 'postgres',
          config: { url: influxd.url, database: DB, pollMs: 10, batchSize: 100 },
          clock: systemClock,
          log: pino({ level: 'silent' }),
          registry: registries[i],
        }),
      );
    }
    await Promise.all(sinks.map((s) => s.start()));
    await until(async () => (await outbox.backlog()) === 0, 'the outbox drained by the three sinks');
    const total = (await Promise.all(registries.map(written))).reduce((a, b) => a + b, 0);
    expect(total).toBe(N);
    const client = new InfluxClient({ url: influxd.url, database: DB, timeoutMs: 5000 });
    const series = await client.query("SELECT count(temp_c) FROM temperature WHERE gateway = 'g1'");
    expect(Number(series[0]?.values[0]?.[1])).toBe(N);
  });
});
