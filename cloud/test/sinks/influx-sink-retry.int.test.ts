import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backoffDelayMs, manualClock, type ReadingsBatch } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { InfluxSink } from '../../src/sinks/influx-sink.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { readings, readingsBatch, T0 } from '../helpers/records.js';

// The sink's retry schedule is the shared policy (shared/src/backoff.ts) over retryMinMs/retryMaxMs; on
// a manual clock each delay is read off the timer the sink sets, against a real HTTP server that refuses.
describe('InfluxDB sink retries on the shared backoff policy', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('waits retryMinMs doubling up to retryMaxMs after failed writes, and starts over after a success', async () => {
    let up = false;
    const writes: number[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        writes.push(up ? 204 : 503);
        res.writeHead(up ? 204 : 503).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const store = new CloudStore(await openDatabase(':memory:'));
    cleanups.push(() => store.close());
    await store.upsertGateway({ id: 'gw-1', now: T0 });

    const clock = manualClock(T0);
    const policy = { initialMs: 100, maxMs: 1000 };
    const sink = new InfluxSink({
      db: store.db,
      config: {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        retryMinMs: policy.initialMs,
        retryMaxMs: policy.maxMs,
        pollMs: 60_000,
        createDatabase: false,
      },
      clock,
      log: pino({ level: 'silent' }),
    });
    cleanups.push(() => sink.close());
    await sink.start();
    let seq = 0;
    const ingest = async () => {
      await store.ingestReadings(
        'gw-1',
        readingsBatch('gw-1', readings(1, { firstSeq: ++seq })) as ReadingsBatch,
        T0,
      );
      expect(await sink.outbox.backlog()).toBeGreaterThan(0);
    };
    /** Fires the due attempt and returns the delay of the timer the sink sets after it. */
    const attempt = async () => {
      const requests = writes.length;
      await clock.advanceAsync(clock.nextDueAt()! - clock.now());
      await until(() => clock.pending() > 0, 'the sink’s next timer');
      expect(writes.length).toBe(requests + 1);
      return clock.nextDueAt()! - clock.now();
    };

    await ingest();
    const delays = [];
    for (let i = 0; i < 6; i++) delays.push(await attempt());
    expect(delays).toEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, policy)));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);

    up = true;
    expect(await attempt()).toBe(60_000); // written: the outbox is empty, the next look is a poll
    expect(await sink.outbox.backlog()).toBe(0);
    up = false;
    await ingest();
    // The poll finds the new reading and InfluxDB refuses it: the first retry delay again.
    expect(await attempt()).toBe(policy.initialMs);
  });
});
