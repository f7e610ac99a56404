import { manualClock, sgtin96Hex } from '@coldtrace/shared';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DomainEngine } from '../../src/engine/domain-engine.js';
import { registerGateway } from '../../src/gateways/register-gateway.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { insertHistoryMark, marksDb } from '../../src/store/evaluation-marks.js';
import { MIN, pass, send, T0 } from '../domain/harness.js';

const silent = pino({ level: 'silent' });

const limits = fc.record({
  min_c: fc.integer({ min: 0, max: 4 }),
  max_c: fc.integer({ min: 6, max: 12 }),
  alarm_delay_ms: fc.integer({ min: 0, max: 20 }).map((n) => n * MIN),
  critical_margin_c: fc.integer({ min: 1, max: 6 }),
  max_gap_ms: fc.integer({ min: 5, max: 40 }).map((n) => n * MIN),
});
type Limits = typeof limits extends fc.Arbitrary<infer L> ? L : never;

/** Two sensors' readings at minute offsets (sometimes unknown), the limits before and after a change. */
const world = fc.record({
  rows: fc.array(
    fc.record({
      sensor: fc.constantFrom('s-1', 's-2'),
      minute: fc.integer({ min: 0, max: 400 }),
      // Mostly within any limits drawn (4..6 °C), so excursions are apart and chunks have work of their own.
      temp: fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 40, max: 60 }).map((t) => t / 10) },
        { weight: 2, arbitrary: fc.integer({ min: -20, max: 160 }).map((t) => t / 10) },
        { weight: 1, arbitrary: fc.constant(null) },
      ),
    }),
    { minLength: 30, maxLength: 150, size: 'max' },
  ),
  before: limits,
  after: limits,
  /** When the unit leaves the room (minutes; beyond the readings: it stays). */
  leaves: fc.integer({ min: 0, max: 500 }),
});
type World = typeof world extends fc.Arbitrary<infer W> ? W : never;

/**
 * One world at its own location of `store` (run `n`: location, unit and readings gateway of its own; the
 * unit's movements come through gateway `door`, its sequence numbers 2n - 1 and 2n), with an engine
 * evaluating long windows in chunks of `chunkReadings` (0: in one transaction): the location created with
 * the first limits and its readings (its whole history marked, as at a start), the unit's custody, all
 * evaluated; then the limits changed with a whole-history mark naming the change (held locks, kept
 * withdrawn excursions) and evaluated again. What is left there: excursions with their ids, gaps, locks.
 */
async function derive(store: CloudStore, n: number, w: World, chunkReadings: number, stats?: number[]) {
  const clock = manualClock(T0);
  const engine = new DomainEngine({ store, clock, log: silent, debounceMs: 1_000_000, chunkReadings });
  const ingestor = new Ingestor({
    store,
    clock,
    log: silent,
    onReadings: (_ids, windows) => engine.markReadings(windows),
    onMovements: (epcs) => engine.markEpcs(epcs),
  });
  const room = `room-${n}`;
  const epc = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: n });
  try {
    const row = (l: Limits) => ({ id: room, name: room, kind: 'room', ...l });
    await store.upsertLocation(row(w.before), T0);
    const rows = w.rows.map((r, i) => ({
      gateway_id: `gw-${n}`,
      seq: i + 1,
      sensor_id: r.sensor,
      location_id: room,
      ts: T0 + r.minute * MIN,
      temp_c: r.temp,
      rh: null,
      quality: 'ok',
      received_at: 0,
    }));
    for (let i = 0; i < rows.length; i += 100)
      await store.db
        .insertInto('readings')
        .values(rows.slice(i, i + 100))
        .execute();
    await send(ingestor, pass('door', 2 * n - 1, epc, 'dock', room, T0 - MIN));
    await send(ingestor, pass('door', 2 * n, epc, room, 'dock', T0 + w.leaves * MIN + 30_000));
    await engine.recoverMarks();
    await engine.flush();
    await store.db.updateTable('locations').set(w.after).where('id', '=', room).execute();
    await insertHistoryMark(marksDb(store.db), room, `limits of ${room} changed by test`, T0);
    await engine.recoverMarks();
    await engine.flush();
    stats?.push(engine.chunked.chunks / Math.max(1, engine.chunked.windows));
    return {
      excursions: await store.db
        .selectFrom('excursions')
        .selectAll()
        .where('location_id', '=', room)
        .orderBy('start_ts')
        .orderBy('id')
        .execute(),
      gaps: await store.db
        .selectFrom('monitoring_gaps')
        .selectAll()
        .where('location_id', '=', room)
        .orderBy('sensor_id')
        .orderBy('from_ts')
        .execute(),
      locks: await store.db
        .selectFrom('locks')
        .selectAll()
        .where('epc', '=', epc)
        .orderBy('rule_key')
        .execute(),
      audit: (
        await store.db
          .selectFrom('audit_log')
          .select(['action', 'entity_type', 'entity_id', 'before_json', 'after_json', 'reason'])
          .where((eb) =>
            eb.or([
              eb('entity_id', 'like', `%${room}@%`),
              eb('entity_id', 'like', `${room}|%`),
              eb('entity_id', 'like', `%${epc}%`),
            ]),
          )
          .execute()
      )
        .map((e) => JSON.stringify(e))
        .sort(),
      marks: await store.db
        .selectFrom('evaluation_marks')
        .select('id')
        .where('subject', 'in', [room, epc])
        .execute(),
    };
  } finally {
    await engine.close();
  }
}

/**
 * The property of docs/architecture.md "Recovery" on a store: chunked evaluation of long windows leaves
 * what one transaction over the whole window leaves, for any chunk size. `open` gives an empty store (and
 * what frees it); two are opened, each run at a location of its own in both.
 */
export function runChunkedEquivalence(
  name: string,
  opts: { open: () => Promise<{ store: CloudStore; close(): Promise<void> }>; numRuns: number },
): void {
  describe(`chunked evaluation of long windows (${name})`, () => {
    it('leaves what one transaction over the whole window leaves, for any chunk size: excursions with their ids, gaps, locks, audit entries', async () => {
      // One store evaluates in one transaction, the other in chunks.
      const whole = await opts.open();
      const chunked = await opts.open();
      let n = 0;
      // Chunks per long window of each run: the property is only worth something if most have several.
      const chunksPerWindow: number[] = [];
      try {
        for (const { store } of [whole, chunked]) await registerGateway(store, { id: 'door', now: T0 });
        await fc.assert(
          fc.asyncProperty(world, fc.integer({ min: 1, max: 30 }), async (w, chunk) => {
            n++;
            const expected = await derive(whole.store, n, w, 0);
            const got = await derive(chunked.store, n, w, chunk, chunksPerWindow);
            expect(got).toEqual(expected);
            expect(got.marks).toEqual([]);
          }),
          { numRuns: opts.numRuns },
        );
        expect(chunksPerWindow.filter((c) => c >= 2).length).toBeGreaterThan(chunksPerWindow.length / 2);
      } finally {
        await whole.close();
        await chunked.close();
      }
    }, 180_000);
  });
}
