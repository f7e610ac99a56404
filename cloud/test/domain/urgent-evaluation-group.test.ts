import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeGatewayPayload, manualClock, type Reading } from '@coldtrace/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LockRule } from '../../src/domain/locks/lock-rule.js';
import { DomainEngine, type ReadingWindow } from '../../src/engine/domain-engine.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import { room } from '../helpers/records.js';
import { MIN, T0 } from './harness.js';

const BACKLOG = ['room-1', 'room-2', 'room-3', 'room-4'];
const URGENT = 'room-9';

describe('domain engine: an urgent location does not wait for a background group', () => {
  let dir: string;
  let store: CloudStore;
  let engine: DomainEngine;
  let ingestor: Ingestor;
  /** Locations the lock rules were told of, in order (one derive transaction after the other). */
  let told: string[];
  /** Called by the rules for each location they are told of (inside its derive transaction). */
  let onTold: (locationId: string) => void;
  /** While set, ingest's windows are kept here instead of reaching the engine. */
  let held: Array<ReadonlyMap<string, ReadingWindow>> | undefined;
  let seq = 0;

  const send = async (records: Array<Omit<Reading, 'seq' | 'quality'>>) => {
    const rs = records.map((r) => ({ ...r, seq: ++seq, quality: 'ok' as const }));
    const payload = encodeGatewayPayload('readings', {
      gatewayId: 'gw1',
      firstSeq: rs[0]!.seq,
      lastSeq: rs[rs.length - 1]!.seq,
      sentAt: T0,
      records: rs,
    });
    const r = await ingestor.handle({ topic: 'coldtrace/v1/gw/gw1/readings', payload: Buffer.from(payload) });
    expect(r.kind).toBe('stored');
  };
  const pendingMarks = async () =>
    (await store.db.selectFrom('evaluation_marks').select('id').execute()).length;

  beforeEach(async () => {
    seq = 0;
    told = [];
    onTold = () => {};
    held = undefined;
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-urgent-group-'));
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
    // Only the test's flush evaluates: the timers never fire.
    const clock = manualClock(T0 + 10 * 24 * 60 * MIN);
    const log = pino({ level: 'silent' });
    const recorder: LockRule = {
      cause: 'rate_of_change',
      watches: () => false,
      locations: () => [],
      apply: async (_repo, change) => {
        if (change.kind !== 'readings') return;
        told.push(change.locationId);
        onTold(change.locationId);
      },
    };
    // No in-range shortcut (as on PostgreSQL): every window is evaluated.
    engine = new DomainEngine({
      store,
      clock,
      log,
      debounceMs: 60_000,
      skipInRange: false,
      rules: [recorder],
    });
    ingestor = new Ingestor({
      store,
      clock,
      log,
      onReadings: (_ids, windows) => (held ? held.push(windows) : engine.markReadings(windows)),
    });
    await store.upsertGateway({ id: 'gw1', now: T0 });
    for (const id of [...BACKLOG, URGENT]) await store.upsertLocation(room(id), T0);
  });
  afterEach(async () => {
    await engine.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('evaluates a location marked urgent during a background group before the rest of the group, every mark cleared', async () => {
    // Every location evaluated once (limits known): in-range readings are background work from here.
    await send([...BACKLOG, URGENT].map((id) => ({ sensorId: `s-${id}`, locationId: id, ts: T0, tempC: 5 })));
    await engine.flush();
    expect(await pendingMarks()).toBe(0);
    told = [];

    // A backlog: in-range readings at four locations, one group of background work.
    await send(BACKLOG.map((id) => ({ sensorId: `s-${id}`, locationId: id, ts: T0 + MIN, tempC: 5 })));
    // A critical reading committed while the group's first location is being evaluated.
    held = [];
    await send([{ sensorId: `s-${URGENT}`, locationId: URGENT, ts: T0 + MIN, tempC: 15 }]);
    const critical = held;
    held = undefined;
    expect(critical).toHaveLength(1);
    onTold = (id) => {
      if (id !== BACKLOG[0]) return;
      for (const w of critical.splice(0)) engine.markReadings(w);
    };
    await engine.flush();

    // Every location evaluated exactly once, the urgent one right after the location under way.
    expect([...told].sort()).toEqual([...BACKLOG, URGENT].sort());
    expect(told[0]).toBe(BACKLOG[0]);
    expect(told[1]).toBe(URGENT);
    expect(await pendingMarks()).toBe(0);
    const [x] = await listExcursions(store.db, { locationId: URGENT });
    expect(x).toMatchObject({ start_ts: T0 + MIN, critical: 1 });
  });
});
