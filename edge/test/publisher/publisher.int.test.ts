import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { manualClock, systemClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { writeToStream } from 'mqtt-packet';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordBuffer } from '../../src/buffer/record-buffer.js';
import { openSqliteBuffer } from '../../src/buffer/sqlite-buffer.js';
import { createPublisher, type Publisher, type PublisherOptions } from '../../src/publisher/publisher.js';
import { alarm, movement, reading, readings, T0 } from '../buffer/fixtures.js';
import { firstArrivals, startBroker, startSubscriber, type TestBroker } from './helpers.js';

const log = pino({ level: 'silent' });

describe('publisher against a real aedes broker', () => {
  let dir: string;
  let buffer: RecordBuffer;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-pub-'));
    buffer = openSqliteBuffer({ path: join(dir, 'buffer.db'), maxBytes: 256 * 1024 * 1024 });
  });
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
    buffer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function broker(opts?: Parameters<typeof startBroker>[0]): Promise<TestBroker> {
    const b = await startBroker(opts);
    cleanups.push(() => b.close());
    return b;
  }
  async function subscriber(port: number) {
    const s = await startSubscriber(port);
    cleanups.push(() => s.close());
    return s;
  }
  function publisher(port: number, over: Partial<PublisherOptions> = {}): Publisher {
    const p = createPublisher({
      gatewayId: 'gw-1',
      buffer,
      mqtt: { url: `mqtt://127.0.0.1:${port}`, reconnectMs: 100, connectTimeoutMs: 2000 },
      batch: { maxRecords: 100, maxAgeMs: 50 },
      inflightWindow: 3,
      clock: systemClock,
      log,
      version: '0.1.0-test',
      ...over,
    });
    cleanups.push(() => p.stop());
    return p;
  }

  it('sends every stream in order, in valid batches, and acks the buffer only after PUBACK', async () => {
    const b = await broker();
    const sub = await subscriber(b.port);
    const pub = publisher(b.port);
    const connected = new Promise<void>((r) => pub.once('connected', () => r()));
    pub.start();
    await connected;
    expect(pub.connected).toBe(true);
    buffer.append('readings', readings(750));
    pub.notify('readings');
    buffer.append('movements', [movement(0), movement(1)]);
    pub.notify('movements');
    buffer.append('alarms', [alarm(0)]);
    pub.notify('alarms', { urgent: true });
    await until(() => buffer.stats().records === 0, 'buffer drained');
    await until(() => firstArrivals(sub.of('readings')).length === 750, 'all readings at the subscriber');
    await until(() => sub.of('alarms').length > 0 && sub.of('movements').length > 0, 'alarm and movements');
    expect(sub.invalid).toEqual([]);
    const r = sub.of('readings');
    expect(firstArrivals(r)).toEqual(Array.from({ length: 750 }, (_, i) => i + 1));
    for (const batch of r) expect(batch.value.records.length).toBeLessThanOrEqual(100);
    expect(r.every((x) => x.retain === false && x.value.gatewayId === 'gw-1')).toBe(true);
    // Every batch names the buffer's epoch: its sequence numbers are unique within it.
    expect(buffer.epoch).toMatch(/^[0-9a-f]{16}$/);
    expect(sub.received.filter((x) => x.name !== 'status').every((x) => x.value.epoch === buffer.epoch)).toBe(
      true,
    );
    expect(firstArrivals(sub.of('movements'))).toEqual([1, 2]);
    expect(firstArrivals(sub.of('alarms'))).toEqual([1]);
    expect(buffer.stats().lastSeq).toEqual({ readings: 750, movements: 2, alarms: 1 });
  });

  it('batches by size and age; an urgent reading skips the delay but keeps its order', async () => {
    const b = await broker();
    const sub = await subscriber(b.port);
    const clock = manualClock(T0);
    const pub = publisher(b.port, { clock, batch: { maxRecords: 10, maxAgeMs: 60_000 } });
    const acked: number[] = [];
    pub.on('acked', (a) => acked.push(a.upToSeq));
    pub.start();
    await until(() => pub.connected, 'connected');
    buffer.append('readings', readings(3));
    pub.notify('readings');
    // Fewer than maxRecords and no time passed: it waits (nothing in flight, all still buffered).
    expect(pub.inflight().readings).toBe(0);
    expect(buffer.stats().records).toBe(3);
    clock.advance(60_000);
    await until(() => acked.includes(3) && sub.of('readings').length === 1, 'aged batch acked and delivered');
    expect(sub.of('readings').at(-1)?.value).toMatchObject({ firstSeq: 1, lastSeq: 3 });
    // Ten records waiting: a full batch goes at once.
    buffer.append('readings', readings(10, 3));
    pub.notify('readings');
    await until(() => acked.includes(13), 'full batch acked');
    // An out-of-range reading behind two ordinary ones: flushed now, all three in order.
    buffer.append('readings', readings(2, 13));
    pub.notify('readings');
    expect(pub.inflight().readings).toBe(0);
    buffer.append('readings', [reading(15, { tempC: 11.2 })]);
    pub.notify('readings', { urgent: true });
    await until(() => acked.includes(16) && firstArrivals(sub.of('readings')).length === 16, 'urgent batch');
    expect(sub.of('readings').at(-1)?.value).toMatchObject({ firstSeq: 14, lastSeq: 16 });
    expect(firstArrivals(sub.of('readings'))).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });

  it('keeps records whose PUBACK never came and re-sends them to a new broker on the same port', async () => {
    let held = 0;
    // A broker that takes the publishes but never PUBACKs them (the callback is held).
    const b1 = await startBroker({
      authorizePublish: (_client, packet, cb) => {
        if (packet.topic.endsWith('/readings')) held++;
        else cb(null);
      },
    });
    const pub = publisher(b1.port, { batch: { maxRecords: 50, maxAgeMs: 10 } });
    pub.start();
    await until(() => pub.connected, 'connected');
    buffer.append('readings', readings(400));
    pub.notify('readings');
    await until(() => held === 3, 'three batches in flight');
    expect(pub.inflight().readings).toBe(3); // the window is full, nothing more goes out
    expect(buffer.stats().records).toBe(400);
    const port = b1.port;
    await b1.close();
    await until(() => !pub.connected, 'disconnected');
    expect(buffer.stats().records).toBe(400);
    buffer.append('readings', readings(100, 400)); // arriving while offline
    pub.notify('readings');
    const b2 = await broker({ port, holdUntilSubscribed: true });
    const sub = await subscriber(b2.port);
    await until(() => buffer.stats().records === 0, 'buffer drained on the new broker');
    await until(() => firstArrivals(sub.of('readings')).length === 500, 'all at the subscriber');
    expect(sub.invalid).toEqual([]);
    expect(firstArrivals(sub.of('readings'))).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
  });

  it('keeps no payload of a batch whose PUBACK is outstanding: the buffer is its only copy', async () => {
    // A full GC on demand (the test process runs without --expose-gc).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let held = 0;
    const b = await broker({
      authorizePublish: (_client, packet, cb) => {
        if (packet.topic.endsWith('/readings')) held++;
        else cb(null);
      },
    });
    const pub = publisher(b.port, {
      batch: { maxRecords: 5000, maxAgeMs: 10 },
      inflightWindow: 4,
      stopTimeoutMs: 200,
    });
    pub.start();
    await until(() => pub.connected, 'connected');
    let bytes = 0;
    pub.on('sent', (x) => {
      bytes += x.bytes;
    });
    gc();
    const before = process.memoryUsage().heapUsed;
    buffer.append('readings', readings(20_000));
    pub.notify('readings');
    await until(() => held === 4, 'four batches in flight');
    expect(pub.inflight().readings).toBe(4);
    gc();
    const during = process.memoryUsage().heapUsed;
    // 4 payloads of ~0.5 MB are unacknowledged; MQTT.js's default store would keep all of them.
    expect(bytes).toBeGreaterThan(2_000_000);
    expect(during - before).toBeLessThan(bytes / 4);
    expect(buffer.stats().records).toBe(20_000);
  });

  it("writes lengths and message ids without mqtt-packet's table of 65,536 two-byte Buffers", async () => {
    // MQTT.js builds that table (~6 MB of heap, kept for the process's life) on its first packet unless
    // the client is made with writeCache: false, which switches the process-wide flag off.
    writeToStream.cacheNumbers = true;
    const b = await broker();
    const sub = await subscriber(b.port);
    const pub = publisher(b.port);
    pub.start();
    buffer.append('readings', readings(10));
    pub.notify('readings');
    await until(() => buffer.stats().records === 0, 'acknowledged');
    await until(() => firstArrivals(sub.of('readings')).length === 10, 'all at the subscriber');
    expect(sub.invalid).toEqual([]);
    expect(writeToStream.cacheNumbers).toBe(false);
  });

  it('sends a batch the broker refused again, in order, without holding the stream', async () => {
    let refused: string | undefined;
    // aedes answers a refused publish by closing the connection (MQTT 3.1.1 has no negative PUBACK).
    const b = await broker({
      authorizePublish: (_client, packet, cb) => {
        const body = JSON.parse(packet.payload.toString()) as { firstSeq?: number; lastSeq?: number };
        if (!refused && packet.topic.endsWith('/readings') && body.firstSeq === 101) {
          refused = `${body.firstSeq}..${body.lastSeq}`;
          return cb(new Error('refused once'));
        }
        cb(null);
      },
    });
    const sub = await subscriber(b.port);
    const pub = publisher(b.port, { batch: { maxRecords: 100, maxAgeMs: 10 }, inflightWindow: 2 });
    const sent: string[] = [];
    pub.on('sent', (x) => {
      if (x.stream === 'readings') sent.push(`${x.firstSeq}..${x.lastSeq}`);
    });
    pub.start();
    await until(() => pub.connected, 'connected');
    buffer.append('readings', readings(500));
    pub.notify('readings');
    await until(() => buffer.stats().records === 0, 'everything acknowledged');
    await until(() => firstArrivals(sub.of('readings')).length === 500, 'all at the subscriber');
    expect(refused).toBe('101..200');
    expect(sent.filter((x) => x === '101..200').length).toBe(2);
    expect(firstArrivals(sub.of('readings'))).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(sub.invalid).toEqual([]);
  });

  it('drops a connection whose PUBACK does not come within pubackTimeoutMs, and sends the batch again', async () => {
    // A broker that keeps the connection up (PINGREQ answered) but never acknowledges the first
    // connection's publishes, as RabbitMQ 3.10's MQTT plugin does after a timed-out auth call.
    let first: unknown;
    let held = 0;
    const b = await broker({
      authorizePublish: (client, packet, cb) => {
        first ??= client;
        if (client === first && packet.topic.endsWith('/readings')) held++;
        else cb(null);
      },
    });
    const sub = await subscriber(b.port);
    const pub = publisher(b.port, {
      mqtt: {
        url: `mqtt://127.0.0.1:${b.port}`,
        reconnectMs: 100,
        connectTimeoutMs: 2000,
        pubackTimeoutMs: 1000,
      },
    });
    let disconnects = 0;
    pub.on('disconnected', () => disconnects++);
    const sent: string[] = [];
    pub.on('sent', (x) => {
      if (x.stream === 'readings') sent.push(`${x.firstSeq}..${x.lastSeq}`);
    });
    pub.start();
    await until(() => pub.connected, 'connected');
    buffer.append('readings', readings(250));
    pub.notify('readings');
    // Precondition: the first connection's batches went unacknowledged and held the buffer.
    await until(() => held >= 1, 'a batch held without PUBACK');
    expect(buffer.stats().records).toBe(250);
    await until(() => buffer.stats().records === 0, 'acknowledged on the next connection');
    await until(() => firstArrivals(sub.of('readings')).length === 250, 'all at the subscriber');
    expect(disconnects).toBeGreaterThanOrEqual(1);
    expect(sent.filter((x) => x === '1..100').length).toBe(2);
    expect(firstArrivals(sub.of('readings'))).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(sub.invalid).toEqual([]);
  });

  it('keeps reconnecting after the broker refuses its CONNECT, and then sends what it buffered', async () => {
    const b = await broker({ refuseFirst: 3 });
    const sub = await subscriber(b.port);
    buffer.append('readings', readings(10, 0));
    const pub = publisher(b.port);
    pub.start();
    // Precondition: the broker did refuse it (MQTT.js stops reconnecting after a refused CONNACK by default).
    await until(() => b.refused.count >= 3, 'three refused CONNECTs');
    await until(() => pub.connected, 'connected on a later attempt');
    await until(() => firstArrivals(sub.of('readings')).length === 10, 'the buffered readings delivered');
  });

  it('replays the backlog oldest first after a reconnect while new records keep arriving', async () => {
    const b1 = await startBroker();
    const port = b1.port;
    const pub = publisher(port, { batch: { maxRecords: 200, maxAgeMs: 20 }, inflightWindow: 2 });
    let maxInflight = 0;
    pub.on('sent', () => {
      maxInflight = Math.max(maxInflight, pub.inflight().readings);
    });
    pub.start();
    await until(() => pub.connected, 'connected');
    await b1.close();
    await until(() => !pub.connected, 'disconnected');
    // Uplink down: a backlog builds up.
    for (let i = 0; i < 20; i++) {
      buffer.append('readings', readings(250, i * 250));
      pub.notify('readings');
    }
    expect(buffer.stats().records).toBe(5000);
    const b2 = await broker({ port, holdUntilSubscribed: true });
    const sub = await subscriber(b2.port);
    // New records keep arriving during the replay.
    let n = 5000;
    const feeder = setInterval(() => {
      buffer.append('readings', readings(20, n));
      n += 20;
      pub.notify('readings');
    }, 5);
    cleanups.push(() => clearInterval(feeder));
    await until(() => n >= 6000, 'live records appended');
    clearInterval(feeder);
    await until(() => buffer.stats().records === 0, 'backlog and live records delivered');
    await until(() => firstArrivals(sub.of('readings')).length === n, 'all at the subscriber');
    const seqs = firstArrivals(sub.of('readings'));
    expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(maxInflight).toBeLessThanOrEqual(2);
    for (const x of sub.of('readings')) expect(x.value.records.length).toBeLessThanOrEqual(200);
  });

  it('the broker publishes the retained Last Will when the socket dies; online again after reconnect', async () => {
    const b = await broker();
    const pub = publisher(b.port);
    pub.publishStatus({
      gatewayId: 'gw-1',
      state: 'online',
      ts: T0,
      reason: 'started',
      version: '0.1.0-test',
    });
    pub.start();
    await until(() => pub.connected && b.sockets.size === 1, 'connected');
    const gatewaySocket = [...b.sockets][0]!;
    const sub = await subscriber(b.port);
    await until(() => sub.of('status').length === 1, 'retained online status');
    expect(sub.of('status')[0]).toMatchObject({ retain: true, value: { state: 'online' } });
    gatewaySocket.destroy(); // abrupt: no DISCONNECT packet, so the broker sends the will
    await until(() => sub.of('status').some((s) => s.value.state === 'offline'), 'last will');
    const will = sub.of('status').find((s) => s.value.state === 'offline')!;
    expect(will.value).toMatchObject({ gatewayId: 'gw-1', state: 'offline', reason: 'last_will' });
    await until(() => sub.of('status').at(-1)?.value.state === 'online', 'online after reconnect');
    // A late subscriber sees the retained online status.
    const late = await subscriber(b.port);
    await until(() => late.of('status').length === 1, 'retained');
    expect(late.of('status')[0]).toMatchObject({ retain: true, value: { state: 'online' } });
  });

  it('stop() publishes a retained offline status (shutdown) and leaves unsent records buffered', async () => {
    const b = await broker();
    const pub = publisher(b.port, { batch: { maxRecords: 100, maxAgeMs: 3_600_000 } });
    pub.start();
    await until(() => pub.connected, 'connected');
    buffer.append('readings', readings(5));
    pub.notify('readings');
    await pub.stop();
    expect(pub.connected).toBe(false);
    expect(buffer.stats().records).toBe(5);
    const late = await subscriber(b.port);
    await until(() => late.of('status').length === 1, 'retained status');
    expect(late.of('status')[0]).toMatchObject({
      retain: true,
      value: { gatewayId: 'gw-1', state: 'offline', reason: 'shutdown' },
    });
  });

  it('publishes thinned ranges so the cloud can tell thinning from loss', async () => {
    buffer.close();
    buffer = openSqliteBuffer({ path: join(dir, 'small.db'), maxBytes: 100_000, thinWindowMs: 3_600_000 });
    let i = 0;
    while (buffer.stats().thinned === 0) {
      buffer.append('readings', readings(50, i));
      i += 50;
    }
    const b = await broker();
    const sub = await subscriber(b.port);
    const pub = publisher(b.port);
    pub.start();
    await until(() => buffer.stats().records === 0, 'drained');
    const covered = new Set<number>();
    await until(() => {
      for (const x of sub.of('readings')) {
        for (const r of x.value.records) covered.add(r.seq);
        for (const t of x.value.thinned ?? []) for (let s = t.from; s <= t.to; s++) covered.add(s);
      }
      return covered.size === i;
    }, 'every seq covered by a record or a thinned range');
    expect(sub.invalid).toEqual([]);
    expect(sub.of('readings').some((x) => (x.value.thinned ?? []).length > 0)).toBe(true);
  });

  it('rejects a bad configuration and a status that violates the contract', async () => {
    expect(() => publisher(1, { gatewayId: 'bad/id' })).toThrow(/gatewayId/);
    const pub = publisher(1);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately invalid input
    expect(() => pub.publishStatus({ gatewayId: 'gw-1', state: 'sideways' } as any)).toThrow(/status/);
  });
});
