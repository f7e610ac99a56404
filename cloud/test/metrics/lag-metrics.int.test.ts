import { gatewayTopic, type ManualClock, manualClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, scrapeMetrics } from '../helpers/metrics.js';
import { readings, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

// The lag metrics (docs/operations.md "Monitoring: lag") on the embedded broker and SQLite, moved by real
// gateway traffic; the PostgreSQL pool and RabbitMQ queue depths: lag-metrics.svc.test.ts.

let cloud: TestCloud;
let data: ManualClock;
let gw: MqttClient;

beforeAll(async () => {
  data = manualClock(T0);
  // The debounce runs on the data clock, which stands still until the test moves it: marks stay pending.
  cloud = await startTestCloud({ evaluation: { debounceMs: 1000 } }, { clock: data });
  gw = await cloud.connect('gw-lag', await cloud.addGateway('gw-lag'));
});
afterAll(async () => {
  await gw?.endAsync();
  await cloud?.stop();
});

const scrape = () => scrapeMetrics(cloud);
const value = metricValue;
const publish = (firstSeq: number, n: number) =>
  gw.publishAsync(
    gatewayTopic('gw-lag', 'readings'),
    JSON.stringify(readingsBatch('gw-lag', readings(n, { firstSeq }))),
    {
      qos: 1,
    },
  );

describe('lag metrics', () => {
  it('are there before any traffic: nothing in ingest, no backlog, no pool gauges on SQLite', async () => {
    const m = await scrape();
    expect(value(m, 'coldtrace_ingest_in_flight_messages')).toBe(0);
    expect(value(m, 'coldtrace_evaluation_backlog_marks{kind="location"}')).toBe(0);
    expect(value(m, 'coldtrace_ingest_latency_seconds_count{outcome="stored"}')).toBeUndefined();
    expect(m).not.toMatch(/coldtrace_ingest_data_age_seconds\{/);
    expect(m).not.toMatch(/coldtrace_store_pool_connections/);
    expect(m).not.toMatch(/coldtrace_broker_queue_messages\{/);
  });

  it('ingest latency counts each committed message, stored or dead-lettered', async () => {
    // The PUBACK comes after the commit, so the observation is there once it returns.
    await publish(1, 10);
    await publish(11, 10);
    let m = await scrape();
    expect(value(m, 'coldtrace_ingest_latency_seconds_count{outcome="stored"}')).toBe(2);
    const sum = value(m, 'coldtrace_ingest_latency_seconds_sum{outcome="stored"}')!;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(10);
    expect(value(m, 'coldtrace_ingest_latency_seconds_bucket{le="+Inf",outcome="stored"}')).toBe(2);
    await gw.publishAsync(gatewayTopic('gw-lag', 'readings'), 'not json', { qos: 1 });
    m = await scrape();
    expect(value(m, 'coldtrace_ingest_latency_seconds_count{outcome="dead_letter"}')).toBe(1);
    expect(value(m, 'coldtrace_ingest_in_flight_messages')).toBe(0);
  });

  it('data age: the data clock minus the newest stored reading of each gateway', async () => {
    // Readings 1..20 are at T0 + seq min; the newest is T0 + 20 min.
    const newest = T0 + 20 * 60_000;
    data.set(newest + 90_000);
    expect(value(await scrape(), 'coldtrace_ingest_data_age_seconds{gateway="gw-lag"}')).toBe(90);
    data.set(newest + 150_000);
    expect(value(await scrape(), 'coldtrace_ingest_data_age_seconds{gateway="gw-lag"}')).toBe(150);
    // Newer readings bring it down; an older batch (a backlog replayed late) does not raise it.
    await publish(21, 2); // newest now T0 + 22 min
    expect(value(await scrape(), 'coldtrace_ingest_data_age_seconds{gateway="gw-lag"}')).toBe(30);
    await gw.publishAsync(
      gatewayTopic('gw-lag', 'readings'),
      JSON.stringify(readingsBatch('gw-lag', readings(1, { firstSeq: 23, ts: T0 }))),
      { qos: 1 },
    );
    expect(value(await scrape(), 'coldtrace_ingest_data_age_seconds{gateway="gw-lag"}')).toBe(30);
  });

  it('evaluation backlog: pending marks rise with committed readings and fall once evaluated', async () => {
    expect(value(await scrape(), 'coldtrace_evaluation_backlog_marks{kind="location"}')).toBeGreaterThan(0);
    await until(async () => {
      await data.advanceAsync(1000);
      await cloud.evaluator.flush();
      return value(await scrape(), 'coldtrace_evaluation_backlog_marks{kind="location"}') === 0;
    }, 'the backlog evaluated');
    await publish(24, 3);
    expect(value(await scrape(), 'coldtrace_evaluation_backlog_marks{kind="location"}')).toBeGreaterThan(0);
  });
});
