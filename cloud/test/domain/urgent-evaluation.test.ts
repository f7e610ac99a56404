import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeGatewayPayload, type ManualClock, manualClock, type Reading } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainEngine } from '../../src/engine/domain-engine.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import { MIN, T0 } from './harness.js';

const DEBOUNCE_MS = 60_000;

describe('domain engine: lock-deciding readings skip the debounce', () => {
  let dir: string;
  let store: CloudStore;
  let engine: DomainEngine;
  let ingestor: Ingestor;
  let clock: ManualClock;
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
    // Time moves only when the test moves it: what the engine evaluates without the test's flush and
    // before the debounce is what its zero-delay (urgent) timer does.
    clock = manualClock(T0 + 10 * 24 * 60 * MIN);
    const log = pino({ level: 'silent' });
    engine = new DomainEngine({ store, clock, log, debounceMs: DEBOUNCE_MS });
    ingestor = new Ingestor({
      store,
      clock,
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

  /** Evaluation marks not yet cleared: readings committed but not evaluated. */
  const pendingMarks = async () =>
    (await store.db.selectFrom('evaluation_marks').select('id').execute()).length;

  it('evaluates a critical reading at once, while in-range readings wait for the debounce', async () => {
    const debounceDue = clock.now() + DEBOUNCE_MS;
    // First readings of a location whose limits the engine has not seen yet: due at once.
    await send([{ locationId: 'room-1', ts: T0, tempC: 5 }]);
    expect(clock.nextDueAt()).toBe(clock.now());
    await clock.advanceAsync(0);
    await until(async () => (await pendingMarks()) === 0, 'the first readings evaluated');

    // Limits known now: in-range readings are background work, evaluated at the debounce only.
    await send([{ locationId: 'room-1', ts: T0 + MIN, tempC: 5 }]);
    expect(clock.nextDueAt()).toBe(debounceDue);
    await clock.advanceAsync(0);
    expect(await pendingMarks()).toBe(1);

    // 15 °C is past max + critical margin: due at once, an excursion without any flush by the test and
    // with the clock still short of the debounce.
    await send([{ locationId: 'room-1', ts: T0 + 2 * MIN, tempC: 15 }]);
    expect(clock.nextDueAt()).toBe(clock.now());
    await clock.advanceAsync(0);
    await until(
      async () => (await listExcursions(store.db, { locationId: 'room-1' })).length === 1,
      'the excursion',
    );
    expect(clock.nextDueAt()).toBe(debounceDue); // the debounce has not fired
    const [x] = await listExcursions(store.db, { locationId: 'room-1' });
    expect(x).toMatchObject({ start_ts: T0 + 2 * MIN, critical: 1 });
  });
});
