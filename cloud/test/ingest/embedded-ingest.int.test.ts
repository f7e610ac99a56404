import { gatewayTopic, MAX_PAYLOAD_BYTES } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import type { MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/auth.js';
import { alarm, movement, readings, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

let cloud: TestCloud;
let secretA: string;
let secretB: string;
let a: MqttClient;

beforeAll(async () => {
  cloud = await startTestCloud({
    mqtt: { embedded: { host: '127.0.0.1', port: 0 }, serviceAccounts: { erp: 'erp-secret-1234567890' } },
  });
  secretA = await cloud.addGateway('gw-a');
  secretB = await cloud.addGateway('gw-b');
  a = await cloud.connect('gw-a', secretA);
});
afterAll(async () => {
  await a?.endAsync();
  await cloud?.stop();
});

const deadLetters = () => cloud.store.listDeadLetters(1000);

describe('embedded broker ingest', () => {
  it('stores a readings batch once the PUBACK arrives, and a duplicate once only', async () => {
    const batch = readingsBatch('gw-a', readings(10));
    await a.publishAsync(gatewayTopic('gw-a', 'readings'), JSON.stringify(batch), { qos: 1 });
    // The PUBACK is sent only after the commit: the rows are there without waiting.
    expect(await cloud.store.listReadings({ gatewayId: 'gw-a' })).toHaveLength(10);
    await a.publishAsync(gatewayTopic('gw-a', 'readings'), JSON.stringify(batch), { qos: 1 });
    const rows = await cloud.store.listReadings({ gatewayId: 'gw-a' });
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(rows[0]).toMatchObject({
      sensor_id: 's1',
      location_id: 'room-1',
      ts: T0 + 60_000,
      temp_c: 5,
      quality: 'ok',
    });
  });

  it('stores movements and alarms through the same contract', async () => {
    const records = [movement(1, '3074257BF7194E4000001A85'), movement(2, '3074257BF7194E4000001A86')];
    await a.publishAsync(
      gatewayTopic('gw-a', 'movements'),
      JSON.stringify({ gatewayId: 'gw-a', firstSeq: 1, lastSeq: 2, sentAt: T0, records }),
      { qos: 1 },
    );
    const raised = alarm(1);
    await a.publishAsync(
      gatewayTopic('gw-a', 'alarms'),
      JSON.stringify({ gatewayId: 'gw-a', firstSeq: 1, lastSeq: 1, sentAt: T0, records: [raised] }),
      { qos: 1 },
    );
    expect((await cloud.store.listMovements({ gatewayId: 'gw-a' })).map((m) => m.epc)).toEqual([
      '3074257BF7194E4000001A85',
      '3074257BF7194E4000001A86',
    ]);
    expect(await cloud.store.listAlarms({ gatewayId: 'gw-a' })).toMatchObject([
      { alarm_id: 'temperature_high:room-1', state: 'raised' },
    ]);
  });

  it('keeps the latest retained status per gateway and ignores an older one', async () => {
    const topic = gatewayTopic('gw-a', 'status');
    await a.publishAsync(topic, JSON.stringify({ gatewayId: 'gw-a', state: 'online', ts: T0 + 2000 }), {
      qos: 1,
      retain: true,
    });
    await a.publishAsync(topic, JSON.stringify({ gatewayId: 'gw-a', state: 'offline', ts: T0 + 1000 }), {
      qos: 1,
      retain: true,
    });
    const g = await cloud.store.getGateway('gw-a');
    expect(g).toMatchObject({ online: 1, status_at: T0 + 2000 });
  });

  it.each([
    ['malformed JSON', '{"gatewayId": "gw-a", ', 'malformed_json', /not JSON/],
    [
      'a schema violation',
      JSON.stringify(readingsBatch('gw-a', readings(1, { tempC: null }))),
      'schema_violation',
      /records\.0\.tempC: tempC must be a number when quality is ok/,
    ],
    [
      'an impossible temperature',
      JSON.stringify(readingsBatch('gw-a', readings(1, { firstSeq: 50, tempC: 900 }))),
      'schema_violation',
      /records\.0\.tempC/,
    ],
    [
      'a payload naming another gateway',
      JSON.stringify(readingsBatch('gw-b', readings(1, { firstSeq: 60 }))),
      'gateway_mismatch',
      /names gateway "gw-b" but was published under "gw-a"/,
    ],
    ['an oversized payload', 'x'.repeat(MAX_PAYLOAD_BYTES + 1), 'payload_too_large', /limit is/],
  ])('sends %s to dead letters with the reason and keeps ingesting', async (_what, payload, code, reason) => {
    const before = (await deadLetters()).length;
    await a.publishAsync(gatewayTopic('gw-a', 'readings'), payload, { qos: 1 });
    const letters = await deadLetters();
    expect(letters.length).toBe(before + 1);
    expect(letters[0]).toMatchObject({ code, gateway_id: 'gw-a', client_id: 'gw-a' });
    expect(letters[0]!.reason).toMatch(reason);
    expect(letters[0]!.payload_bytes).toBe(Buffer.byteLength(payload));
    // Nothing of it was stored, and the next good message is.
    const good = readingsBatch('gw-a', readings(1, { firstSeq: 100 + before }));
    await a.publishAsync(gatewayTopic('gw-a', 'readings'), JSON.stringify(good), { qos: 1 });
    expect(
      await cloud.store.listReadings({
        gatewayId: 'gw-a',
        fromTs: good.records[0]!.ts,
        toTs: good.records[0]!.ts + 1,
      }),
    ).toHaveLength(1);
  });

  it('keeps a rejected 5000-record batch whole: previewed in the list, the whole payload by id', async () => {
    // One impossible value makes the whole batch a dead letter; its gateway deleted it after the PUBACK.
    const records = readings(5000, { firstSeq: 20_000 }).map((r, i) =>
      i === 4321 ? { ...r, tempC: 1e9 } : r,
    );
    const payload = JSON.stringify(readingsBatch('gw-a', records));
    expect(payload.length).toBeGreaterThan(4 * 64 * 1024);
    await a.publishAsync(gatewayTopic('gw-a', 'readings'), payload, { qos: 1 });
    const headers = await bearer(cloud, ['viewer']);
    const list = (
      await cloud.app.inject({ method: 'GET', url: '/api/v1/dead-letters?limit=1', headers })
    ).json().items;
    expect(list[0]).toMatchObject({
      code: 'schema_violation',
      payloadBytes: payload.length,
      payloadTruncated: true,
    });
    expect(list[0].payload).toBe(payload.slice(0, 64 * 1024));
    const one = await cloud.app.inject({ method: 'GET', url: `/api/v1/dead-letters/${list[0].id}`, headers });
    expect(one.statusCode).toBe(200);
    expect(one.json().payload).toBe(payload);
    expect(one.json().reason).toMatch(/records\.4321\.tempC/);
  });

  it('refuses a gateway publishing under another gateway root: dead letter and disconnect (MQTT-3.3.5-2)', async () => {
    const intruder = await cloud.connect('gw-a', secretA, { clientId: 'gw-a/intruder' });
    const closed = new Promise<void>((resolve) => intruder.once('close', () => resolve()));
    intruder.publish(gatewayTopic('gw-b', 'readings'), JSON.stringify(readingsBatch('gw-b', readings(1))), {
      qos: 1,
    });
    await closed;
    intruder.end(true);
    const letters = await deadLetters();
    expect(letters[0]).toMatchObject({
      code: 'acl_denied',
      gateway_id: 'gw-a',
      topic: gatewayTopic('gw-b', 'readings'),
    });
    expect(await cloud.store.listReadings({ gatewayId: 'gw-b' })).toHaveLength(0);
  });

  it('rejects a wrong secret, an unknown gateway and a foreign client id at CONNECT', async () => {
    const url = cloud.mqttUrl!;
    const opts = { reconnectPeriod: 0, connectTimeout: 5000 } as const;
    await expect(
      mqtt.connectAsync(url, { ...opts, clientId: 'gw-a', username: 'gw-a', password: 'wrong' }),
    ).rejects.toThrow(/Bad username or password|Connection refused/i);
    await expect(
      mqtt.connectAsync(url, { ...opts, clientId: 'gw-zz', username: 'gw-zz', password: secretA }),
    ).rejects.toThrow();
    await expect(
      mqtt.connectAsync(url, { ...opts, clientId: 'gw-a', username: 'gw-b', password: secretB }),
    ).rejects.toThrow(/Identifier rejected/i);
    await expect(
      mqtt.connectAsync(url, {
        ...opts,
        clientId: 'erp@1',
        username: 'erp',
        password: 'erp-secret-123456789',
      }),
    ).rejects.toThrow(/Bad username or password|Connection refused/i);
    // Counted, so monitoring sees an unknown or misconfigured gateway knocking.
    const metrics = (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/coldtrace_mqtt_auth_failures_total\{reason="bad_credentials"\} 3/);
    expect(metrics).toMatch(/coldtrace_mqtt_auth_failures_total\{reason="client_id"\} 1/);
  });

  it('forwards accepted gateway messages to a service account, never dead-lettered ones', async () => {
    const erp = await mqtt.connectAsync(cloud.mqttUrl!, {
      clientId: 'erp@1',
      username: 'erp',
      password: 'erp-secret-1234567890',
      reconnectPeriod: 0,
    });
    const seen: string[] = [];
    erp.on('message', (_topic, payload) => seen.push(payload.toString('utf8')));
    await erp.subscribeAsync('coldtrace/v1/gw/+/readings', { qos: 1 });
    const bad = '{"gatewayId": "gw-a", ';
    const good = JSON.stringify(readingsBatch('gw-a', readings(1, { firstSeq: 900 })));
    await a.publishAsync(gatewayTopic('gw-a', 'readings'), bad, { qos: 1 });
    await a.publishAsync(gatewayTopic('gw-a', 'readings'), good, { qos: 1 });
    await until(() => seen.includes(good), 'the accepted batch at the service account');
    // The bad one was handled first (dead-lettered; the PUBACK follows), and never forwarded.
    expect((await deadLetters())[0]).toMatchObject({ code: 'malformed_json', payload_bytes: bad.length });
    expect(seen).not.toContain(bad);
    await erp.endAsync();
  });

  it('lets a gateway subscribe only to its own command topics', async () => {
    const granted = await a.subscribeAsync('coldtrace/v1/gw/gw-a/cmd/+', { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    // SUBACK 0x80 (failure) for another gateway's data; the connection stays up.
    await expect(a.subscribeAsync('coldtrace/v1/gw/gw-b/readings', { qos: 1 })).rejects.toThrow(
      /Subscribe error/,
    );
    await expect(a.subscribeAsync('coldtrace/v1/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(a.connected).toBe(true);
  });

  it('records holes per stream as data gaps until replay fills them', async () => {
    const b = await cloud.connect('gw-b', secretB);
    const all = readings(30, { sensorId: 's9', locationId: 'room-9' });
    const send = (from: number, to: number) =>
      b.publishAsync(
        gatewayTopic('gw-b', 'readings'),
        JSON.stringify(readingsBatch('gw-b', all.slice(from - 1, to))),
        { qos: 1 },
      );
    await send(1, 10);
    await send(21, 30);
    let cov = (await cloud.store.coverage('gw-b')).find((c) => c.stream === 'readings')!;
    expect(cov).toMatchObject({ highWater: 30, holes: [{ from: 11, to: 20 }] });
    const res = await cloud.app.inject({
      headers: await bearer(cloud, ['viewer']),
      method: 'GET',
      url: '/api/v1/data-gaps',
    });
    expect(res.json()).toContainEqual(
      expect.objectContaining({ gatewayId: 'gw-b', stream: 'readings', holes: [{ from: 11, to: 20 }] }),
    );
    await send(11, 20);
    cov = (await cloud.store.coverage('gw-b')).find((c) => c.stream === 'readings')!;
    expect(cov).toMatchObject({ highWater: 30, holes: [] });
    await b.endAsync();
  });

  it('counts thinned ranges as declared omissions, not holes', async () => {
    const c = await cloud.connect('gw-b', secretB, { clientId: 'gw-b/2' });
    const recs = readings(2, { firstSeq: 31, sensorId: 's9', locationId: 'room-9' });
    recs[1]!.seq = 40;
    await c.publishAsync(
      gatewayTopic('gw-b', 'readings'),
      JSON.stringify({
        gatewayId: 'gw-b',
        firstSeq: 31,
        lastSeq: 40,
        sentAt: T0,
        records: recs,
        thinned: [{ from: 32, to: 39 }],
      }),
      { qos: 1 },
    );
    const cov = (await cloud.store.coverage('gw-b')).find((x) => x.stream === 'readings')!;
    expect(cov).toMatchObject({ highWater: 40, holes: [], thinned: 8 });
    await c.endAsync();
  });

  it('reports counts and health over HTTP', async () => {
    const health = await cloud.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({
      status: 'ok',
      checks: { broker: { ok: true }, commits: { ok: true }, ingest: { ok: true }, store: { ok: true } },
    });
    const metrics = await cloud.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/coldtrace_dead_letters_total\{code="malformed_json"\} 2/);
    await until(
      async () =>
        (
          await cloud.app.inject({
            headers: await bearer(cloud, ['viewer']),
            method: 'GET',
            url: '/api/v1/dead-letters',
          })
        ).json().length >= 6,
      'dead letters',
    );
  });
});
