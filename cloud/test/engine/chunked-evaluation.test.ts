import { manualClock } from '@coldtrace/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DomainEngine } from '../../src/engine/domain-engine.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { location, MIN, T0 } from '../domain/harness.js';
import { writeRecoveryBacklog } from '../helpers/recovery-backlog.js';
import { runChunkedEquivalence } from './chunked-evaluation-suite.js';

const silent = pino({ level: 'silent' });

runChunkedEquivalence('SQLite', {
  open: async () => {
    const store = new CloudStore(await openDatabase(':memory:'));
    return { store, close: () => store.close() };
  },
  numRuns: 50,
  quietRuns: 60,
  boundRuns: 40,
});

describe('chunked evaluation of long windows: crash safety (docs/architecture.md "Recovery")', () => {
  it('an engine stopped between two chunks leaves the marks: the next evaluates the whole window again and derives the same', async () => {
    // What a process that dies between two chunks leaves: the chunks committed, the marks all there.
    const backlog = { locationId: 'cold-room', sensors: 2, days: 3, intervalMs: MIN, t0: T0 };
    const reference = new CloudStore(await openDatabase(':memory:'));
    const store = new CloudStore(await openDatabase(':memory:'));
    const engine = (s: CloudStore, chunkReadings: number) =>
      new DomainEngine({
        store: s,
        clock: manualClock(T0),
        log: silent,
        debounceMs: 1_000_000,
        chunkReadings,
      });
    const derived = async (s: CloudStore) => ({
      excursions: await s.db.selectFrom('excursions').selectAll().orderBy('id').execute(),
      gaps: await s.db
        .selectFrom('monitoring_gaps')
        .selectAll()
        .orderBy('sensor_id')
        .orderBy('from_ts')
        .execute(),
    });
    const marks = (s: CloudStore) => s.db.selectFrom('evaluation_marks').select('id').execute();
    try {
      await writeRecoveryBacklog(reference, backlog);
      await writeRecoveryBacklog(store, backlog);
      const whole = engine(reference, 0);
      await whole.recoverMarks();
      await whole.flush();
      await whole.close();
      const expected = await derived(reference);
      expect(expected.excursions.length).toBeGreaterThan(2);

      const first = engine(store, 500);
      const tell = first.recovery.chunk.bind(first.recovery);
      let closing: Promise<void> | undefined;
      first.recovery.chunk = (...args) => {
        tell(...args);
        if (first.chunked.chunks === 2) closing = first.close();
      };
      await first.recoverMarks({ atStart: true });
      await first.flush();
      await closing;
      expect(first.chunked).toEqual({ windows: 0, chunks: 2 });
      expect(first.recovery.recovering).toBe(true);
      expect(await marks(store)).toHaveLength(1);
      expect(await derived(store)).not.toEqual(expected);

      const next = engine(store, 500);
      await next.recoverMarks({ atStart: true });
      await next.flush();
      await next.close();
      expect(next.chunked.windows).toBe(1);
      expect(next.recovery.recovering).toBe(false);
      expect(await marks(store)).toEqual([]);
      expect(await derived(store)).toEqual(expected);
    } finally {
      await reference.close();
      await store.close();
    }
  });

  it('new readings elsewhere are evaluated between two chunks, not after the whole window', async () => {
    const store = new CloudStore(await openDatabase(':memory:'));
    const engine = new DomainEngine({
      store,
      clock: manualClock(T0),
      log: silent,
      debounceMs: 1_000_000,
      chunkReadings: 500,
    });
    try {
      await location({ store }, 'room-b');
      await engine.recoverMarks();
      await engine.flush();
      await writeRecoveryBacklog(store, {
        locationId: 'cold-room',
        sensors: 2,
        days: 3,
        intervalMs: MIN,
        t0: T0,
      });
      const sqlite = store.opened.sqlite!;
      const excursionsAtB = sqlite.prepare(
        `SELECT count(*) AS n FROM excursions WHERE location_id = 'room-b'`,
      );
      const critical = T0 + 4 * 86_400_000;
      const seen: number[] = [];
      const tell = engine.recovery.chunk.bind(engine.recovery);
      engine.recovery.chunk = (...args) => {
        tell(...args);
        if (seen.length === 0) {
          // While cold-room's history is evaluated, a reading past room-b's critical margin is stored.
          sqlite
            .prepare(
              `INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
               VALUES ('gw-b', 1, 'b-1', 'room-b', ?, 20, NULL, 'ok', 0)`,
            )
            .run(critical);
          engine.markReadings(new Map([['room-b', { fromTs: critical, toTs: critical }]]));
        }
        seen.push((excursionsAtB.get() as { n: number }).n);
      };
      await engine.recoverMarks({ atStart: true });
      await engine.flush();
      expect(seen.length).toBeGreaterThan(5);
      // Found between the first and the second chunk of cold-room's window.
      expect(seen.slice(0, 3)).toEqual([0, 1, 1]);
    } finally {
      await engine.close();
      await store.close();
    }
  });
});

describe('chunked evaluation of long windows: quiet spans per chunk (docs/architecture.md "Recovery")', () => {
  it('a chunk tries at most its bound of quiet spans and the next goes on where it stopped, deriving what one transaction derives', async () => {
    const backlog = { locationId: 'cold-room', sensors: 4, days: 8, intervalMs: MIN, t0: T0 };
    const run = async (chunkReadings: number, quietProofsPerChunk?: number) => {
      const store = new CloudStore(await openDatabase(':memory:'));
      try {
        await writeRecoveryBacklog(store, backlog);
        const engine = new DomainEngine({
          store,
          clock: manualClock(T0),
          log: silent,
          debounceMs: 1_000_000,
          chunkReadings,
          quietProofsPerChunk,
          // Every span the rollups prove quiet is skipped, however short (the proof under test).
          quietMinReadings: 0,
        });
        await engine.recoverMarks({ atStart: true });
        await engine.flush();
        await engine.close();
        return {
          quiet: { ...engine.quiet },
          chunked: { ...engine.chunked },
          excursions: await store.db.selectFrom('excursions').selectAll().orderBy('id').execute(),
          gaps: await store.db
            .selectFrom('monitoring_gaps')
            .selectAll()
            .orderBy('sensor_id')
            .orderBy('from_ts')
            .execute(),
          marks: await store.db.selectFrom('evaluation_marks').select('id').execute(),
        };
      } finally {
        await store.close();
      }
    };
    const whole = await run(0);
    expect(whole.excursions.length).toBeGreaterThan(2);
    // Chunks of 3.5 days (the first, from the beginning of time, never skips): unbounded, the second skips
    // more spans than the bound below.
    const chunkReadings = 20_000;
    const unbounded = await run(chunkReadings, Number.POSITIVE_INFINITY);
    expect(unbounded.quiet.mostInChunk).toBeGreaterThan(2);
    const bounded = await run(chunkReadings, 2);
    expect(bounded.quiet.mostInChunk).toBeLessThanOrEqual(2);
    expect(bounded.quiet.spans).toBeGreaterThan(2);
    expect(bounded.chunked.windows).toBe(1);
    expect(bounded.chunked.chunks).toBeGreaterThan(unbounded.chunked.chunks);
    for (const r of [unbounded, bounded]) {
      expect(r.excursions).toEqual(whole.excursions);
      expect(r.gaps).toEqual(whole.gaps);
      expect(r.marks).toEqual([]);
    }
  }, 60_000);
});
