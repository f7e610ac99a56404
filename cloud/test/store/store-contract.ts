import type { Alarm, AlarmsBatch, MovementsBatch, ReadingsBatch } from '@coldtrace/shared';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holesIn } from '../../src/domain/ingest/seq-spans.js';
import type { CloudStore, ExcursionRow, IngestResult } from '../../src/store/cloud-store.js';
import { claimMarks, deleteMarks, marksDb, pendingMarks } from '../../src/store/evaluation-marks.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import { movement, readings, readingsBatch, T0 } from '../helpers/records.js';
import { epochContract } from './store-contract-epochs.js';
import { reuseContract } from './store-contract-reuse.js';
import { scanContract } from './store-contract-scans.js';

export interface OpenedStore {
  store: CloudStore;
  cleanup(): Promise<void>;
}

function alarm(seq: number, over: Partial<Alarm> = {}): Alarm {
  return {
    seq,
    alarmId: 'temperature_high:room-1',
    kind: 'temperature_high',
    state: 'raised',
    severity: 'warning',
    ts: T0 + seq * 1000,
    locationId: 'room-1',
    sensorId: 's1',
    value: 9.5,
    message: 'too warm',
    ...over,
  } as Alarm;
}

function batchOf<T extends { seq: number }>(
  gatewayId: string,
  records: T[],
  thinned?: Array<{ from: number; to: number }>,
) {
  const seqs = [...records.map((r) => r.seq), ...(thinned ?? []).flatMap((t) => [t.from, t.to])];
  return {
    gatewayId,
    firstSeq: Math.min(...seqs),
    lastSeq: Math.max(...seqs),
    sentAt: T0,
    records,
    ...(thinned ? { thinned } : {}),
  };
}

function excursion(
  id: string,
  locationId: string,
  startTs: number,
  over: Partial<ExcursionRow> = {},
): ExcursionRow {
  return {
    id,
    location_id: locationId,
    start_ts: startTs,
    end_ts: startTs + 600_000,
    last_ts: startTs + 600_000,
    excursion_at: startTs + 300_000,
    duration_ms: 600_000,
    min_c: 8.5,
    max_c: 11.25,
    peak_c: 11.25,
    critical: 0,
    degree_minutes: 12.5,
    mkt_c: 9.75,
    sensor_ids: 's1,s2',
    state: 'closed',
    updated_at: T0,
    ...over,
  };
}

const counts = (r: IngestResult) => ({ inserted: r.inserted, duplicates: r.duplicates });

/**
 * The one contract every `CloudStore` backend must meet (docs/architecture.md "Tests"):
 * run by `sqlite-store.test.ts` and `postgres-store.svc.test.ts` against a freshly migrated store.
 */
export function runStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`CloudStore contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: CloudStore;
    let gw = 0;
    /** A new registered gateway per test, so tests share one database without interfering. */
    const newGateway = async (prefix = 'gw') => {
      gw += 1;
      const id = `${prefix}-${gw}`;
      await store.upsertGateway({ id, now: T0 });
      return id;
    };

    beforeAll(async () => {
      opened = await open();
      store = opened.store;
    });
    afterAll(async () => {
      await opened?.cleanup();
    });

    describe('gateways', () => {
      it('inserts, updates only the given fields, and lists by id', async () => {
        await store.upsertGateway({ id: 'zz-gw', name: 'Dock', secretHash: 'h1', now: T0 });
        await store.upsertGateway({ id: 'zz-gw', name: 'Dock 2', now: T0 + 5 });
        let g = await store.getGateway('zz-gw');
        expect(g).toMatchObject({
          id: 'zz-gw',
          name: 'Dock 2',
          secret_hash: 'h1',
          created_at: T0,
          online: 0,
        });
        expect(typeof g!.created_at).toBe('number');
        await store.upsertGateway({ id: 'zz-gw', secretHash: null, now: T0 + 9 });
        g = await store.getGateway('zz-gw');
        expect(g).toMatchObject({ name: 'Dock 2', secret_hash: null, created_at: T0 });
        // Nothing to update: the row stays as it is.
        await store.upsertGateway({ id: 'zz-gw', now: T0 + 10 });
        expect((await store.getGateway('zz-gw'))?.created_at).toBe(T0);
        expect(await store.getGateway('nope')).toBeUndefined();
        await store.upsertGateway({ id: 'aa-gw', now: T0 });
        const ids = (await store.listGateways()).map((x) => x.id);
        expect(ids.indexOf('aa-gw')).toBeLessThan(ids.indexOf('zz-gw'));
        expect([...ids].sort()).toEqual(ids);
      });

      it('keeps the newest status: older ones are refused, equal times replace', async () => {
        const id = await newGateway();
        expect(await store.setGatewayStatus(id, '{"n":2}', T0 + 2000, true)).toBe(true);
        expect(await store.setGatewayStatus(id, '{"n":1}', T0 + 1000, false)).toBe(false);
        let g = await store.getGateway(id);
        expect(g).toMatchObject({ status_json: '{"n":2}', status_at: T0 + 2000, online: 1 });
        expect(await store.setGatewayStatus(id, '{"n":3}', T0 + 2000, false)).toBe(true);
        g = await store.getGateway(id);
        expect(g).toMatchObject({ status_json: '{"n":3}', online: 0 });
        expect(await store.setGatewayStatus('unknown-gw', '{}', T0, true)).toBe(false);
      });
    });

    describe('ingest', () => {
      it('stores readings once per (gateway, seq), counting duplicates', async () => {
        const id = await newGateway();
        const batch = readingsBatch(id, readings(10)) as ReadingsBatch;
        expect(counts(await store.ingestReadings(id, batch, T0 + 1))).toEqual({
          inserted: 10,
          duplicates: 0,
        });
        expect(await store.ingestReadings(id, batch, T0 + 2)).toEqual({ inserted: 0, duplicates: 10 });
        const overlap = readingsBatch(id, readings(10, { firstSeq: 6 })) as ReadingsBatch;
        expect(counts(await store.ingestReadings(id, overlap, T0 + 3))).toEqual({
          inserted: 5,
          duplicates: 5,
        });
        const rows = await store.listReadings({ gatewayId: id });
        expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
        // The first copy wins: received_at of seq 1 is the first ingest's.
        expect(rows[0]).toMatchObject({ seq: 1, received_at: T0 + 1, temp_c: 5, rh: null, quality: 'ok' });
        for (const k of ['seq', 'ts', 'received_at', 'temp_c'] as const)
          expect(typeof rows[0]![k]).toBe('number');
        // The same seq from another gateway is another record.
        const other = await newGateway();
        expect(
          counts(await store.ingestReadings(other, readingsBatch(other, readings(3)) as ReadingsBatch, T0)),
        ).toEqual({
          inserted: 3,
          duplicates: 0,
        });
      });

      it('commits an evaluation mark per location (batch window) and per EPC with new events, none for duplicates', async () => {
        const id = await newGateway();
        const a = `mark-a-${id}`;
        const b = `mark-b-${id}`;
        const recs = [
          ...readings(2, { locationId: a }),
          ...readings(1, { firstSeq: 3, locationId: b }),
          ...readings(1, { firstSeq: 4, locationId: a }),
        ];
        const batch = readingsBatch(id, recs) as ReadingsBatch;
        const r = await store.ingestReadings(id, batch, T0);
        const marksOf = (subjects: string[]) =>
          store.db
            .selectFrom('evaluation_marks')
            .select(['id', 'kind', 'subject', 'from_ts', 'to_ts', 'cause'])
            .where('subject', 'in', subjects)
            .orderBy('subject')
            .execute();
        const rows = await marksOf([a, b]);
        expect(rows.map(({ id: _id, ...m }) => m)).toEqual([
          { kind: 'location', subject: a, from_ts: recs[0]!.ts, to_ts: recs[3]!.ts, cause: null },
          { kind: 'location', subject: b, from_ts: recs[2]!.ts, to_ts: recs[2]!.ts, cause: null },
        ]);
        expect([...(r.marks ?? [])]).toEqual(rows.map((m) => [m.subject, m.id]));
        // A redelivered batch changes nothing and marks nothing.
        expect((await store.ingestReadings(id, batch, T0)).marks).toBeUndefined();
        expect(await marksOf([a, b])).toHaveLength(2);

        const e1 = `EE${gw}01`;
        const e2 = `EE${gw}02`;
        const mb = batchOf(id, [movement(1, e1), movement(2, e2), movement(3, e1)]);
        await store.ingestMovements(id, mb as MovementsBatch, T0);
        await store.ingestMovements(id, mb as MovementsBatch, T0);
        expect((await marksOf([e1, e2])).map((m) => [m.kind, m.subject, m.from_ts, m.to_ts])).toEqual([
          ['epc', e1, null, null],
          ['epc', e2, null, null],
        ]);
      });

      it('evaluation marks: pending per subject (windows joined, unbounded kept), claimed and deleted by id', async () => {
        const id = await newGateway();
        const loc = `pend-${id}`;
        const at = (m: number) => T0 + m * 60_000;
        await store.ingestReadings(
          id,
          readingsBatch(id, readings(2, { locationId: loc })) as ReadingsBatch,
          T0,
        );
        await store.ingestReadings(
          id,
          readingsBatch(id, readings(2, { firstSeq: 9, locationId: loc })) as ReadingsBatch,
          T0 + 5,
        );
        const db = marksDb(store.db);
        let pending = await pendingMarks(db);
        expect(pending.locations.get(loc)).toEqual({ fromTs: at(1), toTs: at(10) });
        expect((await pendingMarks(db, T0 + 5)).locations.get(loc)).toEqual({ fromTs: at(1), toTs: at(2) });
        // A changed location's whole history (no bounds) wins over the windows.
        await store.upsertLocation(
          {
            id: loc,
            name: loc,
            kind: 'room',
            min_c: 2,
            max_c: 8,
            alarm_delay_ms: 0,
            critical_margin_c: 5,
            max_gap_ms: 60_000,
          },
          T0,
        );
        pending = await pendingMarks(db);
        expect(pending.locations.get(loc)).toEqual({
          fromTs: Number.NEGATIVE_INFINITY,
          toTs: Number.POSITIVE_INFINITY,
        });
        const claimed = await claimMarks(db, 'location', [loc]);
        expect(claimed.ids).toHaveLength(3);
        expect(claimed.window).toEqual({ fromTs: Number.NEGATIVE_INFINITY, toTs: Number.POSITIVE_INFINITY });
        expect(claimed).toMatchObject({ events: true, causes: [] });
        await deleteMarks(db, claimed.ids.slice(0, 2));
        expect((await claimMarks(db, 'location', [loc])).ids).toEqual(claimed.ids.slice(2));
        await deleteMarks(db, claimed.ids);
        expect((await pendingMarks(db)).locations.has(loc)).toBe(false);
      });

      it('keeps sensor-error readings with null temperature and humidity values', async () => {
        const id = await newGateway();
        const recs = [
          ...readings(1, { rh: 45.5 }),
          ...readings(1, { firstSeq: 2, tempC: null, quality: 'timeout' }),
        ];
        await store.ingestReadings(id, readingsBatch(id, recs) as ReadingsBatch, T0);
        const rows = await store.listReadings({ gatewayId: id });
        expect(rows.map((r) => [r.temp_c, r.rh, r.quality])).toEqual([
          [5, 45.5, 'ok'],
          [null, null, 'timeout'],
        ]);
      });

      it('stores movements and alarms idempotently', async () => {
        const id = await newGateway();
        const mb = batchOf(id, [
          movement(1, 'AA01'),
          movement(2, 'AA02', { from: null, direction: null, kind: 'presence' }),
        ]);
        expect(await store.ingestMovements(id, mb as MovementsBatch, T0)).toEqual({
          inserted: 2,
          duplicates: 0,
        });
        expect(await store.ingestMovements(id, mb as MovementsBatch, T0)).toEqual({
          inserted: 0,
          duplicates: 2,
        });
        const ms = await store.listMovements({ gatewayId: id });
        expect(ms).toHaveLength(2);
        expect(ms[0]).toMatchObject({
          seq: 1,
          epc: 'AA01',
          from_location: 'room-1',
          to_location: 'truck-1',
          reads: 7,
          peak_rssi: -48,
        });
        expect(ms[1]).toMatchObject({ seq: 2, from_location: null, direction: null, kind: 'presence' });
        expect(typeof ms[0]!.first_seen).toBe('number');

        const ab = batchOf(id, [
          alarm(1),
          alarm(2, { state: 'cleared', value: undefined, locationId: undefined, sensorId: undefined }),
        ]);
        expect(await store.ingestAlarms(id, ab as AlarmsBatch, T0)).toEqual({ inserted: 2, duplicates: 0 });
        expect(await store.ingestAlarms(id, ab as AlarmsBatch, T0)).toEqual({ inserted: 0, duplicates: 2 });
        const as = await store.listAlarms({ gatewayId: id });
        expect(as.map((a) => [a.seq, a.state, a.value, a.location_id])).toEqual([
          [1, 'raised', 9.5, 'room-1'],
          [2, 'cleared', null, null],
        ]);
      });

      it('rolls the whole batch back when one statement fails', async () => {
        const id = await newGateway();
        const bad = readingsBatch(id, readings(3)) as ReadingsBatch;
        // A record that violates NOT NULL in the middle of the batch: nothing of it may remain.
        (bad.records[1] as { sensorId: unknown }).sensorId = null;
        await expect(store.ingestReadings(id, bad, T0)).rejects.toThrow();
        expect(await store.listReadings({ gatewayId: id })).toEqual([]);
        expect(await store.coverage(id)).toEqual([]);
      });
    });

    describe('coverage', () => {
      it('reports the high-water mark and holes until replay fills them', async () => {
        const id = await newGateway();
        await store.ingestReadings(id, readingsBatch(id, readings(5)) as ReadingsBatch, T0);
        await store.ingestReadings(id, readingsBatch(id, readings(5, { firstSeq: 11 })) as ReadingsBatch, T0);
        await store.ingestMovements(id, batchOf(id, [movement(3, 'AA01')]) as MovementsBatch, T0);
        expect(await store.coverage(id)).toEqual([
          { gatewayId: id, stream: 'movements', highWater: 3, holes: [{ from: 1, to: 2 }], thinned: 0 },
          { gatewayId: id, stream: 'readings', highWater: 15, holes: [{ from: 6, to: 10 }], thinned: 0 },
        ]);
        await store.ingestReadings(id, readingsBatch(id, readings(5, { firstSeq: 6 })) as ReadingsBatch, T0);
        const [, r] = await store.coverage(id);
        expect(r).toMatchObject({ stream: 'readings', highWater: 15, holes: [] });
      });

      it('counts thinned ranges as covered, once, however often the batch arrives', async () => {
        const id = await newGateway();
        const recs = [...readings(2), ...readings(2, { firstSeq: 8 })];
        const batch = batchOf(id, recs, [{ from: 3, to: 7 }]);
        await store.ingestReadings(id, batch as ReadingsBatch, T0);
        await store.ingestReadings(id, batch as ReadingsBatch, T0 + 1);
        expect(await store.coverage(id)).toEqual([
          { gatewayId: id, stream: 'readings', highWater: 9, holes: [], thinned: 5 },
        ]);
        // A batch that is all thinned covers its range too.
        await store.ingestReadings(id, batchOf(id, [], [{ from: 10, to: 12 }]) as ReadingsBatch, T0);
        expect((await store.coverage(id))[0]).toMatchObject({ highWater: 12, holes: [], thinned: 8 });
        expect(await store.counts()).toMatchObject({ readings: expect.any(Number) });
      });

      it('grows a stored thinned range when a replayed batch carries it merged with later thinning', async () => {
        // The gateway merges a new thinned range with an adjacent earlier one: a replay may carry [3, 12]
        // where [3, 7] is stored. Seqs 8..12 must count as thinned (they are not stored, and no hole shows).
        const id = await newGateway();
        await store.ingestReadings(id, batchOf(id, readings(2), [{ from: 3, to: 7 }]) as ReadingsBatch, T0);
        await store.ingestReadings(
          id,
          batchOf(id, readings(1, { firstSeq: 13 }), [{ from: 3, to: 12 }]) as ReadingsBatch,
          T0 + 1,
        );
        expect(await store.coverage(id)).toEqual([
          { gatewayId: id, stream: 'readings', highWater: 13, holes: [], thinned: 10 },
        ]);
        // Overlapping from another start: each seq counted once; a separate range keeps its own row.
        await store.ingestReadings(
          id,
          batchOf(id, readings(1, { firstSeq: 16 }), [{ from: 10, to: 15 }]) as ReadingsBatch,
          T0 + 2,
        );
        await store.ingestReadings(id, batchOf(id, [], [{ from: 17, to: 20 }]) as ReadingsBatch, T0 + 3);
        expect(await store.coverage(id)).toEqual([
          { gatewayId: id, stream: 'readings', highWater: 20, holes: [], thinned: 10 + 3 + 4 },
        ]);
        const rows = await store.db
          .selectFrom('thinned_ranges')
          .select(['from_seq', 'to_seq', 'received_at'])
          .where('gateway_id', '=', id)
          .orderBy('from_seq')
          .execute();
        // One row per maximal thinned span; received_at stays the first report's.
        expect(rows).toEqual([
          { from_seq: 3, to_seq: 15, received_at: T0 },
          { from_seq: 17, to_seq: 20, received_at: T0 + 3 },
        ]);
      });

      it('lists every gateway when none is named, sorted by gateway and stream', async () => {
        const a = await newGateway('cov-a');
        const b = await newGateway('cov-b');
        await store.ingestAlarms(b, batchOf(b, [alarm(1)]) as AlarmsBatch, T0);
        await store.ingestReadings(a, readingsBatch(a, readings(1)) as ReadingsBatch, T0);
        const all = await store.coverage();
        const mine = all.filter((c) => c.gatewayId === a || c.gatewayId === b);
        expect(mine.map((c) => [c.gatewayId, c.stream])).toEqual([
          [a, 'readings'],
          [b, 'alarms'],
        ]);
        const keys = all.map((c) => `${c.gatewayId}/${c.stream}`);
        expect(keys).toEqual(
          [...all]
            .sort((x, y) => x.gatewayId.localeCompare(y.gatewayId) || x.stream.localeCompare(y.stream))
            .map((c) => `${c.gatewayId}/${c.stream}`),
        );
      });

      it('is exact under concurrent, overlapping, out-of-order ingest (property)', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 12 })), {
              minLength: 1,
              maxLength: 12,
            }),
            async (spans) => {
              const id = await newGateway('prop');
              const batches = spans.map(
                ([from, len]) => readingsBatch(id, readings(len + 1, { firstSeq: from })) as ReadingsBatch,
              );
              const results = await Promise.all(batches.map((b) => store.ingestReadings(id, b, T0)));
              const expected = new Set(
                spans.flatMap(([from, len]) => Array.from({ length: len + 1 }, (_, i) => from + i)),
              );
              expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(expected.size);
              const rows = await store.listReadings({ gatewayId: id });
              expect(rows.map((r) => r.seq)).toEqual([...expected].sort((x, y) => x - y));
              const spansOf = [...expected].map((s) => ({ from: s, to: s }));
              const [cov] = await store.coverage(id);
              expect(cov).toEqual({
                gatewayId: id,
                stream: 'readings',
                highWater: Math.max(...expected),
                holes: holesIn(spansOf),
                thinned: 0,
              });
            },
          ),
          { numRuns: Number(process.env.STORE_PROP_RUNS ?? 100) },
        );
      });
    });

    epochContract(() => store, newGateway);
    reuseContract(() => store, newGateway);
    scanContract(() => store, newGateway);

    describe('dead letters', () => {
      it('adds and lists newest first with a limit', async () => {
        const before = (await store.counts()).deadLetters;
        for (let i = 0; i < 3; i++) {
          await store.addDeadLetter({
            received_at: T0 + i,
            topic: `coldtrace/v1/gw/x/readings`,
            gateway_id: i === 0 ? null : 'x',
            client_id: null,
            code: `code_${i}`,
            reason: 'bad',
            payload: `{"i":${i}}`,
            payload_bytes: 7,
          });
        }
        const list = await store.listDeadLetters(2);
        expect(list.map((d) => d.code)).toEqual(['code_2', 'code_1']);
        expect(typeof list[0]!.id).toBe('number');
        expect(list[0]!.id).toBeGreaterThan(list[1]!.id);
        expect((await store.counts()).deadLetters).toBe(before + 3);
        const all = await store.listDeadLetters();
        expect(all.find((d) => d.code === 'code_0')).toMatchObject({
          gateway_id: null,
          payload: '{"i":0}',
          received_at: T0,
        });
      });

      it('lists a preview of each payload (in characters) and gives the whole one by id', async () => {
        const payload = `{"note":"${'°C über 8 '.repeat(20_000)}"}`;
        await store.addDeadLetter({
          received_at: T0,
          topic: 'coldtrace/v1/gw/x/readings',
          gateway_id: 'x',
          client_id: null,
          code: 'schema_violation',
          reason: 'bad',
          payload,
          payload_bytes: Buffer.byteLength(payload),
        });
        const [d] = await store.listDeadLetters(1, 1000);
        expect(d).toMatchObject({ payload: payload.slice(0, 1000), payload_chars: payload.length });
        expect((await store.getDeadLetter(d!.id))?.payload).toBe(payload);
        expect(await store.getDeadLetter(d!.id + 1_000_000)).toBeUndefined();
      });
    });

    describe('queries', () => {
      it('filters readings by gateway, location, sensor and [fromTs, toTs), ordered by ts then gateway then seq', async () => {
        const a = await newGateway('q');
        const b = await newGateway('q');
        // Same timestamps on both gateways; seqs out of ts order inside one gateway.
        const ra = [
          ...readings(1, { firstSeq: 1, ts: T0 + 3000 }),
          ...readings(1, { firstSeq: 2, ts: T0 + 1000, sensorId: 's2' }),
          ...readings(1, { firstSeq: 3, ts: T0 + 2000, locationId: 'room-q' }),
        ];
        const rb = [...readings(1, { firstSeq: 1, ts: T0 + 1000, locationId: 'room-q' })];
        await store.ingestReadings(b, readingsBatch(b, rb) as ReadingsBatch, T0);
        await store.ingestReadings(a, readingsBatch(a, ra) as ReadingsBatch, T0);
        const mine = (rows: Array<{ gateway_id: string; seq: number }>) =>
          rows.filter((r) => r.gateway_id === a || r.gateway_id === b).map((r) => `${r.gateway_id}#${r.seq}`);
        expect(mine(await store.listReadings({ fromTs: T0 + 1000, toTs: T0 + 3001 }))).toEqual([
          `${a}#2`,
          `${b}#1`,
          `${a}#3`,
          `${a}#1`,
        ]);
        expect(mine(await store.listReadings({ gatewayId: a }))).toEqual([`${a}#2`, `${a}#3`, `${a}#1`]);
        expect(mine(await store.listReadings({ locationId: 'room-q' }))).toEqual([`${b}#1`, `${a}#3`]);
        expect(mine(await store.listReadings({ gatewayId: a, sensorId: 's2' }))).toEqual([`${a}#2`]);
        expect(mine(await store.listReadings({ gatewayId: a, fromTs: T0 + 2000, toTs: T0 + 3000 }))).toEqual([
          `${a}#3`,
        ]);
        expect(mine(await store.listReadings({ gatewayId: a, limit: 2 }))).toEqual([`${a}#2`, `${a}#3`]);
        // locationSeries: the evaluator's input, by time.
        const series = await store.locationSeries('room-q');
        expect(series).toEqual([
          { sensor_id: 's1', ts: T0 + 1000, temp_c: 5 },
          { sensor_id: 's1', ts: T0 + 2000, temp_c: 5 },
        ]);
      });

      it('filters movements by epc and gateway and alarms by gateway, in time order', async () => {
        const id = await newGateway('qm');
        await store.ingestMovements(
          id,
          batchOf(id, [
            movement(1, 'BB01', { ts: T0 + 5000 }),
            movement(2, 'BB02', { ts: T0 + 1000 }),
            movement(3, 'BB01', { ts: T0 + 2000 }),
          ]) as MovementsBatch,
          T0,
        );
        expect((await store.listMovements({ epc: 'BB01' })).map((m) => m.seq)).toEqual([3, 1]);
        expect((await store.listMovements({ gatewayId: id })).map((m) => m.seq)).toEqual([2, 3, 1]);
        expect((await store.listMovements({ gatewayId: id, limit: 1 })).map((m) => m.seq)).toEqual([2]);
        await store.ingestAlarms(
          id,
          batchOf(id, [alarm(1, { ts: T0 + 9 }), alarm(2, { ts: T0 + 1 })]) as AlarmsBatch,
          T0,
        );
        expect((await store.listAlarms({ gatewayId: id })).map((x) => x.seq)).toEqual([2, 1]);
        expect(await store.listAlarms({ gatewayId: id, limit: 1 })).toHaveLength(1);
      });

      it('counts every table', async () => {
        const before = await store.counts();
        const id = await newGateway();
        await store.ingestReadings(id, readingsBatch(id, readings(4)) as ReadingsBatch, T0);
        await store.ingestMovements(id, batchOf(id, [movement(1, 'CC01')]) as MovementsBatch, T0);
        await store.ingestAlarms(id, batchOf(id, [alarm(1), alarm(2)]) as AlarmsBatch, T0);
        await store.replaceLocationDerived(
          `count-loc-${id}`,
          [excursion(`count-loc-${id}@x`, `count-loc-${id}`, T0)],
          [],
        );
        const after = await store.counts();
        expect(after).toEqual({
          readings: before.readings + 4,
          movements: before.movements + 1,
          alarms: before.alarms + 2,
          deadLetters: before.deadLetters,
          excursions: before.excursions + 1,
        });
        for (const v of Object.values(after)) expect(typeof v).toBe('number');
      });
    });

    describe('locations', () => {
      it('upserts: keeps created_at, updates every field and updated_at; lists by id', async () => {
        const loc = {
          id: 'loc-b',
          name: 'Cold room B',
          kind: 'room',
          min_c: 2,
          max_c: 8,
          alarm_delay_ms: 900_000,
          critical_margin_c: 2.5,
          max_gap_ms: 600_000,
        };
        await store.upsertLocation(loc, T0);
        await store.upsertLocation({ ...loc, id: 'loc-a', name: 'A' }, T0);
        await store.upsertLocation(
          { ...loc, name: 'Cold room B2', min_c: -1.5, max_c: 25, kind: 'store' },
          T0 + 100,
        );
        expect(await store.getLocation('loc-b')).toMatchObject({
          ...loc,
          name: 'Cold room B2',
          kind: 'store',
          min_c: -1.5,
          max_c: 25,
          created_at: T0,
          updated_at: T0 + 100,
        });
        expect(await store.getLocation('nope')).toBeUndefined();
        const ids = (await store.listLocations()).map((l) => l.id);
        expect(ids.indexOf('loc-a')).toBeLessThan(ids.indexOf('loc-b'));
      });
    });

    describe('excursions', () => {
      it('replaces one location’s excursions and gaps, leaving other locations alone', async () => {
        const e1 = excursion('ex-1@a', 'ex-1', T0 + 1000);
        const e2 = excursion('ex-1@b', 'ex-1', T0, {
          end_ts: null,
          excursion_at: null,
          mkt_c: null,
          state: 'open',
        });
        const other = excursion('ex-2@a', 'ex-2', T0);
        await store.replaceLocationDerived(
          'ex-2',
          [other],
          [{ sensor_id: 's9', from_ts: T0, to_ts: T0 + 5 }],
        );
        await store.replaceLocationDerived(
          'ex-1',
          [e1, e2],
          [
            { sensor_id: 's1', from_ts: T0 + 50, to_ts: T0 + 60 },
            { sensor_id: 's1', from_ts: T0 + 10, to_ts: T0 + 20 },
            { sensor_id: 's1', from_ts: T0 + 10, to_ts: T0 + 20 },
          ],
        );
        expect(await listExcursions(store.db, { locationId: 'ex-1' })).toMatchObject([e2, e1]);
        expect((await store.listMonitoringGaps('ex-1')).map((g) => g.from_ts)).toEqual([T0 + 10, T0 + 50]);

        const e3 = excursion('ex-1@c', 'ex-1', T0 + 7, { critical: 1, peak_c: 30 });
        await store.replaceLocationDerived('ex-1', [e3], []);
        expect(await listExcursions(store.db, { locationId: 'ex-1' })).toMatchObject([e3]);
        expect(await store.listMonitoringGaps('ex-1')).toEqual([]);
        expect(await listExcursions(store.db, { locationId: 'ex-2' })).toMatchObject([other]);
        expect(await store.listMonitoringGaps('ex-2')).toMatchObject([
          { location_id: 'ex-2', sensor_id: 's9', from_ts: T0, to_ts: T0 + 5 },
        ]);
        const all = await listExcursions(store.db);
        expect(all.map((e) => e.start_ts)).toEqual([...all.map((e) => e.start_ts)].sort((x, y) => x - y));
        expect((await store.listMonitoringGaps()).length).toBeGreaterThanOrEqual(1);

        await store.replaceLocationDerived('ex-1', [], []);
        expect(await listExcursions(store.db, { locationId: 'ex-1' })).toEqual([]);
      });

      it('rolls back a failed replacement, keeping what was there', async () => {
        const e = excursion('ex-3@a', 'ex-3', T0);
        await store.replaceLocationDerived('ex-3', [e], []);
        await expect(store.replaceLocationDerived('ex-3', [e, { ...e }], [])).rejects.toThrow();
        expect(await listExcursions(store.db, { locationId: 'ex-3' })).toMatchObject([e]);
      });
    });
  });
}
