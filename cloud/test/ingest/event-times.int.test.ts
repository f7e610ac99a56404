import { gatewayTopic, type ManualClock, manualClock } from '@coldtrace/shared';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/auth.js';
import { alarm, movement, readings, readingsBatch } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * Event times against the receive time on the data clock (manual here), with the default limits: later
 * than receipt + 5 min is `future_timestamp`, earlier than receipt − 90 days `stale_timestamp`; a backlog
 * of a month is stored. Through the real broker; replays are checked at the time of the replay.
 */
const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
let cloud: TestCloud;
let data: ManualClock;
let gw: MqttClient;
let ops: Record<string, string>;
let nextSeq = 1;

beforeAll(async () => {
  data = manualClock(NOW);
  // `ingest: {}`: the config's defaults (the test cloud otherwise turns the checks off).
  cloud = await startTestCloud({ ingest: {} }, { clock: data });
  gw = await cloud.connect('gw-a', await cloud.addGateway('gw-a'));
  ops = await bearer(cloud, ['operator']);
});
afterAll(async () => {
  await gw?.endAsync();
  await cloud?.stop();
});

/** Publishes `n` readings, `stepMs` apart from `from`, as the gateway's next batch. */
async function publishReadings(from: number, n = 3, stepMs = MIN) {
  const recs = readings(n, { firstSeq: nextSeq }).map((r, i) => ({ ...r, ts: from + i * stepMs }));
  nextSeq += n;
  await gw.publishAsync(gatewayTopic('gw-a', 'readings'), JSON.stringify(readingsBatch('gw-a', recs)), {
    qos: 1,
  });
  return recs.map((r) => r.seq);
}
const storedSeqs = async () => (await cloud.store.listReadings({ gatewayId: 'gw-a' })).map((r) => r.seq);
const newest = async () => (await cloud.store.listDeadLetters(1, 0))[0]!;
const replay = (id: number) =>
  cloud.app.inject({ method: 'POST', url: `/api/v1/dead-letters/${id}/replay`, headers: ops });

describe('event times at ingest', () => {
  it('stores a month-old backlog and dead-letters readings from 2199 and from 91 days ago', async () => {
    const backlog = await publishReadings(NOW - 30 * DAY, 3, DAY);
    expect(await storedSeqs()).toEqual(backlog);

    await publishReadings(Date.UTC(2199, 0, 1));
    expect(await newest()).toMatchObject({ code: 'future_timestamp', gateway_id: 'gw-a' });
    expect((await newest()).reason).toMatch(/^3 record\(s\) later than receipt \+ 5 min .* at 2199-01-01/);

    await publishReadings(NOW - 91 * DAY);
    expect(await newest()).toMatchObject({ code: 'stale_timestamp' });
    expect(await storedSeqs()).toEqual(backlog);
    const metrics = (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/coldtrace_dead_letters_total\{code="future_timestamp"\} 1/);
    expect(metrics).toMatch(/coldtrace_dead_letters_total\{code="stale_timestamp"\} 1/);
  });

  it('checks movements and alarms the same way', async () => {
    const m = movement(1, '3074257BF7194E4000001A85');
    const pass = { ...m, ts: NOW + DAY, firstSeen: NOW + DAY, lastSeen: NOW + DAY };
    await gw.publishAsync(
      gatewayTopic('gw-a', 'movements'),
      JSON.stringify({ gatewayId: 'gw-a', firstSeq: 1, lastSeq: 1, sentAt: NOW, records: [pass] }),
      { qos: 1 },
    );
    expect(await newest()).toMatchObject({
      code: 'future_timestamp',
      topic: gatewayTopic('gw-a', 'movements'),
    });
    const stale = alarm(1, { ts: NOW - 100 * DAY });
    await gw.publishAsync(
      gatewayTopic('gw-a', 'alarms'),
      JSON.stringify({ gatewayId: 'gw-a', firstSeq: 1, lastSeq: 1, sentAt: NOW, records: [stale] }),
      { qos: 1 },
    );
    expect(await newest()).toMatchObject({ code: 'stale_timestamp', topic: gatewayTopic('gw-a', 'alarms') });
    expect(await cloud.store.listMovements({ gatewayId: 'gw-a' })).toHaveLength(0);
    expect(await cloud.store.listAlarms({ gatewayId: 'gw-a' })).toHaveLength(0);
  });

  it('replays against the time of the replay: a batch 10 minutes early is stored once that time has come', async () => {
    const early = await publishReadings(NOW + 10 * MIN, 2);
    const id = (await newest()).id;
    expect(await newest()).toMatchObject({ code: 'future_timestamp' });
    const refused = await replay(id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toMatch(/still rejected: future_timestamp/);

    data.advance(10 * MIN);
    const res = await replay(id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ stream: 'readings', inserted: 2, duplicates: 0 });
    expect(await storedSeqs()).toEqual(expect.arrayContaining(early));
  });

  it('refuses the replay of a stale batch: it only gets older', async () => {
    await publishReadings(NOW - 95 * DAY);
    const res = await replay((await newest()).id);
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toMatch(/still rejected: stale_timestamp: 3 of 3 record\(s\) older/);
  });
});
