import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { manualClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { writeToStream } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { openSqliteBuffer } from '../../src/buffer/sqlite-buffer.js';
import { alarm, movement, reading, readings, T0 } from '../buffer/fixtures.js';
import { firstArrivals, startBroker } from './helpers.js';
import { usePublisherRig } from './publisher-rig.js';

describe('publisher against a real aedes broker', () => {
  const rig = usePublisherRig();

  it('sends every stream in order, in valid batches, and acks the buffer only after PUBACK', async () => {
    const b = await rig.broker();
    const sub = await rig.subscriber(b.port);
    const pub = rig.publisher(b.port);
    const connected = new Promise<void>((r) => pub.once('connected', () => r()));
    pub.start();
    await connected;
    expect(pub.connected).toBe(true);
    rig.buffer.append('readings', readings(750));
    pub.notify('readings');
    rig.buffer.append('movements', [movement(0), movement(1)]);
    pub.notify('movements');
    rig.buffer.append('alarms', [alarm(0)]);
    pub.notify('alarms', { urgent: true });
    await until(() => rig.buffer.stats().records === 0, 'buffer drained');
    await until(() => firstArrivals(sub.of('readings')).length === 750, 'all readings at the subscriber');
    await until(() => sub.of('alarms').length > 0 && sub.of('movements').length > 0, 'alarm and movements');
    expect(sub.invalid).toEqual([]);
    const r = sub.of('readings');
    expect(firstArrivals(r)).toEqual(Array.from({ length: 750 }, (_, i) => i + 1));
    for (const batch of r) expect(batch.value.records.length).toBeLessThanOrEqual(100);
    expect(r.every((x) => x.retain === false && x.value.gatewayId === 'gw-1')).toBe(true);
    // Every batch names the buffer's epoch: its sequence numbers are unique within it.
    expect(rig.buffer.epoch).toMatch(/^[0-9a-f]{16}$/);
    expect(
      sub.received.filter((x) => x.name !== 'status').every((x) => x.value.epoch === rig.buffer.epoch),
    ).toBe(true);
    expect(firstArrivals(sub.of('movements'))).toEqual([1, 2]);
    expect(firstArrivals(sub.of('alarms'))).toEqual([1]);
    expect(rig.buffer.stats().lastSeq).toEqual({ readings: 750, movements: 2, alarms: 1 });
  });

  it('batches by size and age; an urgent reading skips the delay but keeps its order', async () => {
    const b = await rig.broker();
    const sub = await rig.subscriber(b.port);
    const clock = manualClock(T0);
    const pub = rig.publisher(b.port, { clock, batch: { maxRecords: 10, maxAgeMs: 60_000 } });
    const acked: number[] = [];
    pub.on('acked', (a) => acked.push(a.upToSeq));
    pub.start();
    await until(() => pub.connected, 'connected');
    rig.buffer.append('readings', readings(3));
    pub.notify('readings');
    // Fewer than maxRecords and no time passed: it waits (nothing in flight, all still buffered).
    expect(pub.inflight().readings).toBe(0);
    expect(rig.buffer.stats().records).toBe(3);
    clock.advance(60_000);
    await until(() => acked.includes(3) && sub.of('readings').length === 1, 'aged batch acked and delivered');
    expect(sub.of('readings').at(-1)?.value).toMatchObject({ firstSeq: 1, lastSeq: 3 });
    // Ten records waiting: a full batch goes at once.
    rig.buffer.append('readings', readings(10, 3));
    pub.notify('readings');
    await until(() => acked.includes(13), 'full batch acked');
    // An out-of-range reading behind two ordinary ones: flushed now, all three in order.
    rig.buffer.append('readings', readings(2, 13));
    pub.notify('readings');
    expect(pub.inflight().readings).toBe(0);
    rig.buffer.append('readings', [reading(15, { tempC: 11.2 })]);
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
    const pub = rig.publisher(b1.port, { batch: { maxRecords: 50, maxAgeMs: 10 } });
    pub.start();
    await until(() => pub.connected, 'connected');
    rig.buffer.append('readings', readings(400));
    pub.notify('readings');
    await until(() => held === 3, 'three batches in flight');
    expect(pub.inflight().readings).toBe(3); // the window is full, nothing more goes out
    expect(rig.buffer.stats().records).toBe(400);
    const port = b1.port;
    await b1.close();
    await until(() => !pub.connected, 'disconnected');
    expect(rig.buffer.stats().records).toBe(400);
    rig.buffer.append('readings', readings(100, 400)); // arriving while offline
    pub.notify('readings');
    const b2 = await rig.broker({ port, holdUntilSubscribed: true });
    const sub = await rig.subscriber(b2.port);
    await until(() => rig.buffer.stats().records === 0, 'buffer drained on the new broker');
    await until(() => firstArrivals(sub.of('readings')).length === 500, 'all at the subscriber');
    expect(sub.invalid).toEqual([]);
    expect(firstArrivals(sub.of('readings'))).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
  });

  it('keeps no payload of a batch whose PUBACK is outstanding: the buffer is its only copy', async () => {
    // A full GC on demand (the test process runs without --expose-gc).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let held = 0;
    const b = await rig.broker({
      authorizePublish: (_client, packet, cb) => {
        if (packet.topic.endsWith('/readings')) held++;
        else cb(null);
      },
    });
    const pub = rig.publisher(b.port, {
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
    rig.buffer.append('readings', readings(20_000));
    pub.notify('readings');
    await until(() => held === 4, 'four batches in flight');
    expect(pub.inflight().readings).toBe(4);
    gc();
    const during = process.memoryUsage().heapUsed;
    // 4 payloads of ~0.5 MB are unacknowledged; MQTT.js's default store would keep all of them.
    expect(bytes).toBeGreaterThan(2_000_000);
    expect(during - before).toBeLessThan(bytes / 4);
    expect(rig.buffer.stats().records).toBe(20_000);
  });

  it("writes lengths and message ids without mqtt-packet's table of 65,536 two-byte Buffers", async () => {
    // MQTT.js builds that table (~6 MB of heap, kept for the process's life) on its first packet unless
    // the client is made with writeCache: false, which switches the process-wide flag off.
    writeToStream.cacheNumbers = true;
    const b = await rig.broker();
    const sub = await rig.subscriber(b.port);
    const pub = rig.publisher(b.port);
    pub.start();
    rig.buffer.append('readings', readings(10));
    pub.notify('readings');
    await until(() => rig.buffer.stats().records === 0, 'acknowledged');
    await until(() => firstArrivals(sub.of('readings')).length === 10, 'all at the subscriber');
    expect(sub.invalid).toEqual([]);
    expect(writeToStream.cacheNumbers).toBe(false);
  });

  it('sends a batch the broker refused again, in order, without holding the stream', async () => {
    let refused: string | undefined;
    // aedes answers a refused publish by closing the connection (MQTT 3.1.1 has no negative PUBACK).
    const b = await rig.broker({
      authorizePublish: (_client, packet, cb) => {
        const body = JSON.parse(packet.payload.toString()) as { firstSeq?: number; lastSeq?: number };
        if (!refused && packet.topic.endsWith('/readings') && body.firstSeq === 101) {
          refused = `${body.firstSeq}..${body.lastSeq}`;
          return cb(new Error('refused once'));
        }
        cb(null);
      },
    });
    const sub = await rig.subscriber(b.port);
    const pub = rig.publisher(b.port, { batch: { maxRecords: 100, maxAgeMs: 10 }, inflightWindow: 2 });
    const sent: string[] = [];
    pub.on('sent', (x) => {
      if (x.stream === 'readings') sent.push(`${x.firstSeq}..${x.lastSeq}`);
    });
    pub.start();
    await until(() => pub.connected, 'connected');
    rig.buffer.append('readings', readings(500));
    pub.notify('readings');
    await until(() => rig.buffer.stats().records === 0, 'everything acknowledged');
    await until(() => firstArrivals(sub.of('readings')).length === 500, 'all at the subscriber');
    expect(refused).toBe('101..200');
    expect(sent.filter((x) => x === '101..200').length).toBe(2);
    expect(firstArrivals(sub.of('readings'))).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(sub.invalid).toEqual([]);
  });

  it('publishes thinned ranges so the cloud can tell thinning from loss', async () => {
    rig.buffer.close();
    rig.buffer = openSqliteBuffer({
      path: join(rig.dir, 'small.db'),
      maxBytes: 100_000,
      thinWindowMs: 3_600_000,
    });
    let i = 0;
    while (rig.buffer.stats().thinned === 0) {
      rig.buffer.append('readings', readings(50, i));
      i += 50;
    }
    const b = await rig.broker();
    const sub = await rig.subscriber(b.port);
    const pub = rig.publisher(b.port);
    pub.start();
    await until(() => rig.buffer.stats().records === 0, 'drained');
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
    expect(() => rig.publisher(1, { gatewayId: 'bad/id' })).toThrow(/gatewayId/);
    const pub = rig.publisher(1);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately invalid input
    expect(() => pub.publishStatus({ gatewayId: 'gw-1', state: 'sideways' } as any)).toThrow(/status/);
  });
});
