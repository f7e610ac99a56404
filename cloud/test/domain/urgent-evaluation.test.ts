import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, encodeGatewayPayload, type Reading } from '@coldtrace/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainEngine } from '../../src/domain/domain-engine.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { MIN, T0 } from './harness.js';

/**
 * A clock whose debounce timers never fire and whose zero-delay timers fire at once (real macrotask):
 * only the engine's high-priority path can evaluate anything without an explicit flush.
 */
function urgentOnlyClock() {
  const zeroDelay: number[] = [];
  const clock: Clock = {
    now: () => T0 + 10 * 24 * 60 * MIN,
    setTimeout: ((fn: () => void, ms: number) => {
      if (ms > 0) return {} as ReturnType<Clock['setTimeout']>;
      zeroDelay.push(ms);
      return setTimeout(fn, 0);
    }) as Clock['setTimeout'],
    clearTimeout: ((t: ReturnType<typeof setTimeout> | undefined) => {
      if (t && typeof t === 'object' && 'ref' in t) clearTimeout(t);
    }) as Clock['clearTimeout'],
    setInterval: () => ({}) as ReturnType<Clock['setInterval']>,
    clearInterval: () => {},
  };
  return { clock, zeroDelay };
}

async function eventually(fn: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('domain engine: lock-deciding readings skip the debounce (issue 6)', () => {
  let dir: string;
  let store: CloudStore;
  let engine: DomainEngine;
  let ingestor: Ingestor;
  let zeroDelay: number[];
  let seq = 0;
  const send = async (readings: Array<Omit<Reading, 'seq' | 'sensorId' | 'quality'>>) => {
    const records = readings.map((r) => ({ ...r, seq: ++seq, sensorId: 's1', quality: 'ok' as const }));
    const payload = encodeGatewayPayload('readings', {
      gatewayId: 'gw1',
      firstSeq: records[0]!.seq,
      lastSeq: records[records.length - 1]!.seq,
      sentAt: T0,
      records,
    });
    const r = await ingestor.handle({ topic: 'coldtrace/v1/gw/gw1/readings', payload: Buffer.from(payload) });
    expect(r.kind).toBe('stored');
  };

  beforeEach(async () => {
    seq = 0;
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-urgent-'));
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
    const c = urgentOnlyClock();
    zeroDelay = c.zeroDelay;
    const log = pino({ level: 'silent' });
    engine = new DomainEngine({ store, clock: c.clock, log, debounceMs: 60_000 });
    ingestor = new Ingestor({
      store,
      clock: c.clock,
      log,
      onReadings: (_ids, windows) => engine.markReadings(windows),
    });
    await store.upsertGateway({ id: 'gw1', now: T0 });
    await store.upsertLocation(
      {
        id: 'room-1',
        name: 'room',
        kind: 'room',
        min_c: 2,
        max_c: 8,
        alarm_delay_ms: 10 * MIN,
        critical_margin_c: 2,
        max_gap_ms: 60 * MIN,
      },
      T0,
    );
  });
  afterEach(async () => {
    await engine.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('evaluates a critical reading at once, while in-range readings wait for the debounce', async () => {
    // First readings of a location whose limits the engine has not seen yet: evaluated at once.
    await send([{ locationId: 'room-1', ts: T0, tempC: 5 }]);
    expect(zeroDelay.length).toBe(1);
    await engine.flush();
    // Limits known now: in-range readings are background work (debounced, no zero-delay timer).
    await send([{ locationId: 'room-1', ts: T0 + MIN, tempC: 5 }]);
    expect(zeroDelay.length).toBe(1);
    // 15 °C is past max + critical margin: an excursion at once, without any flush by the test.
    await send([{ locationId: 'room-1', ts: T0 + 2 * MIN, tempC: 15 }]);
    expect(zeroDelay.length).toBe(2);
    await eventually(
      async () => (await store.listExcursions({ locationId: 'room-1' })).length === 1,
      'excursion',
    );
    const [x] = await store.listExcursions({ locationId: 'room-1' });
    expect(x).toMatchObject({ start_ts: T0 + 2 * MIN, critical: 1 });
  });
});
