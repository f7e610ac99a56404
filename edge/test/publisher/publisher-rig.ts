import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@coldtrace/shared';
import pino from 'pino';
import { afterEach, beforeEach } from 'vitest';
import type { RecordBuffer } from '../../src/buffer/record-buffer.js';
import { openSqliteBuffer } from '../../src/buffer/sqlite-buffer.js';
import { createPublisher, type Publisher, type PublisherOptions } from '../../src/publisher/publisher.js';
import { startBroker, startSubscriber, type TestBroker } from './helpers.js';

const log = pino({ level: 'silent' });

/** A test's buffer, brokers, subscribers and publisher; all of them closed after the test. */
export interface PublisherRig {
  /** The test's own directory (buffer.db in it). */
  dir: string;
  buffer: RecordBuffer;
  /** Run after the test, newest first. */
  cleanups: Array<() => Promise<unknown> | unknown>;
  broker(opts?: Parameters<typeof startBroker>[0]): Promise<TestBroker>;
  subscriber(port: number): ReturnType<typeof startSubscriber>;
  /** Gateway gw-1 on the test's buffer, small batches, a short reconnect delay, the system clock. */
  publisher(port: number, over?: Partial<PublisherOptions>): Publisher;
}

/** A fresh buffer per test (beforeEach) and everything the test started closed after it (afterEach). */
export function usePublisherRig(): PublisherRig {
  const cleanups: PublisherRig['cleanups'] = [];
  const r = { cleanups } as PublisherRig;
  beforeEach(() => {
    r.dir = mkdtempSync(join(tmpdir(), 'coldtrace-pub-'));
    r.buffer = openSqliteBuffer({ path: join(r.dir, 'buffer.db'), maxBytes: 256 * 1024 * 1024 });
  });
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
    r.buffer.close();
    rmSync(r.dir, { recursive: true, force: true });
  });

  r.broker = async function broker(opts?: Parameters<typeof startBroker>[0]): Promise<TestBroker> {
    const b = await startBroker(opts);
    cleanups.push(() => b.close());
    return b;
  };
  r.subscriber = async function subscriber(port: number) {
    const s = await startSubscriber(port);
    cleanups.push(() => s.close());
    return s;
  };
  r.publisher = function publisher(port: number, over: Partial<PublisherOptions> = {}): Publisher {
    const p = createPublisher({
      gatewayId: 'gw-1',
      buffer: r.buffer,
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
  };
  return r;
}
