import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordBuffer } from '../../src/buffer/record-buffer.js';
import { openSqliteBuffer } from '../../src/buffer/sqlite-buffer.js';
import { createPublisher, type Publisher, type PublisherOptions } from '../../src/publisher/publisher.js';
import { reading } from '../buffer/fixtures.js';
import { firstArrivals, startBroker, startSubscriber } from './helpers.js';

const log = pino({ level: 'silent' });
const NOW = 1_767_225_600_000;
const WINDOW = 30_000;
/** Readings taken `ageMs` before NOW, one a second. */
const takenAgo = (n: number, ageMs: number) =>
  Array.from({ length: n }, (_, i) => reading(i, { ts: NOW - ageMs + i * 1000 }));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Live readings on `readings-live`, backlog on `readings` (docs/architecture.md "Live readings"). */
describe('publisher: live and backlog readings topics, against a real aedes broker', () => {
  let dir: string;
  let buffer: RecordBuffer;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-live-'));
    buffer = openSqliteBuffer({ path: join(dir, 'buffer.db'), maxBytes: 64 * 1024 * 1024 });
  });
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
    buffer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function setup(
    opts: Parameters<typeof startBroker>[0] = {},
    mqtt: Partial<PublisherOptions['mqtt']> = {},
  ) {
    const b = await startBroker(opts);
    cleanups.push(() => b.close());
    const sub = await startSubscriber(b.port);
    cleanups.push(() => sub.close());
    const clock = manualClock(NOW);
    const pub: Publisher = createPublisher({
      gatewayId: 'gw-1',
      buffer,
      mqtt: {
        url: `mqtt://127.0.0.1:${b.port}`,
        reconnectMs: 100,
        connectTimeoutMs: 2000,
        liveWindowMs: WINDOW,
        ...mqtt,
      },
      batch: { maxRecords: 100, maxAgeMs: 60_000 },
      inflightWindow: 3,
      clock,
      log,
      version: '0.1.0-test',
    });
    cleanups.push(() => pub.stop());
    const sent: string[] = [];
    pub.on('sent', (x) => sent.push(`${x.topic} ${x.firstSeq}..${x.lastSeq}`));
    pub.start();
    await until(() => pub.connected, 'connected');
    /** `topic first..last` of every readings batch the subscriber got, from the topic string on the wire. */
    const wire = () =>
      sub.received
        .filter((r) => r.topic.startsWith('coldtrace/v1/gw/gw-1/readings'))
        .map(
          (r) => `${r.topic.slice('coldtrace/v1/gw/gw-1/'.length)} ${r.value.firstSeq}..${r.value.lastSeq}`,
        );
    return { b, sub, clock, pub, sent, wire };
  }

  it('sends its backlog in order on readings, then live batches on readings-live, one sequence', async () => {
    const { sub, pub, wire } = await setup();
    buffer.append('readings', takenAgo(250, 3_600_000));
    pub.notify('readings', { urgent: true });
    await until(() => buffer.stats().records === 0, 'backlog acknowledged');
    // A batch with one old reading among young ones is backlog.
    buffer.append('readings', [...takenAgo(1, WINDOW + 1), ...takenAgo(2, 2_000)]);
    pub.notify('readings', { urgent: true });
    await until(() => buffer.stats().records === 0, 'mixed batch acknowledged');
    buffer.append('readings', takenAgo(3, WINDOW));
    pub.notify('readings', { urgent: true });
    await until(() => firstArrivals(sub.of('readings')).length === 256, 'all readings at the subscriber');
    expect(wire()).toEqual([
      'readings 1..100',
      'readings 101..200',
      'readings 201..250',
      'readings 251..253',
      'readings-live 254..256',
    ]);
    // The same contract payload on both topics (decoded by the subscriber with the shared schema).
    expect(sub.invalid).toEqual([]);
    const live = sub.received.find((r) => r.name === 'readings-live')!;
    expect(live.value).toMatchObject({ gatewayId: 'gw-1', firstSeq: 254, lastSeq: 256 });
    expect(live.value.records.map((r: { ts: number }) => r.ts)).toEqual([
      NOW - WINDOW,
      NOW - WINDOW + 1000,
      NOW - WINDOW + 2000,
    ]);
    expect(firstArrivals(sub.of('readings'))).toEqual(range(1, 256));
  });

  it('sends every batch on readings with liveWindowMs 0 (a cloud older than readings-live)', async () => {
    const { sub, pub, wire } = await setup({}, { liveWindowMs: 0 });
    buffer.append('readings', takenAgo(3, 0));
    pub.notify('readings', { urgent: true });
    await until(() => firstArrivals(sub.of('readings')).length === 3, 'readings at the subscriber');
    expect(wire()).toEqual(['readings 1..3']);
  });

  it('sends a live batch left without PUBACK again on readings once it is older than the window', async () => {
    let first: unknown;
    let held = 0;
    // The first connection's live publishes are never acknowledged (nor forwarded).
    const { sub, pub, clock, sent, wire } = await setup(
      {
        authorizePublish: (client, packet, cb) => {
          first ??= client;
          if (client === first && packet.topic.endsWith('/readings-live')) {
            held++;
            clock.advance(WINDOW + 1);
          } else cb(null);
        },
      },
      { pubackTimeoutMs: 1000 },
    );
    buffer.append('readings', takenAgo(2, 0));
    pub.notify('readings', { urgent: true });
    // Precondition: it went out live and was held, the records kept.
    await until(() => held === 1, 'the live batch held without PUBACK');
    expect(buffer.stats().records).toBe(2);
    await until(() => buffer.stats().records === 0, 'acknowledged on the next connection');
    await until(() => firstArrivals(sub.of('readings')).length === 2, 'at the subscriber');
    expect(sent).toEqual(['readings-live 1..2', 'readings 1..2']);
    expect(wire()).toEqual(['readings 1..2']);
  });
});
