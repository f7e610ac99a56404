import type { AlarmsBatch, MovementsBatch, ReadingsBatch } from '@coldtrace/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { claimMarks, deleteMarks, marksDb, pendingMarks } from '../../src/store/evaluation-marks.js';
import { movement, readings, readingsBatch, T0 } from '../helpers/records.js';
import { alarm, batchOf, counts, type NewGateway } from './store-contract-fixtures.js';

/**
 * Ingest of readings, movements and alarms, with the evaluation marks it commits: part of the store
 * contract (`runStoreContract`), so every backend meets it alike.
 */
export function ingestContract(getStore: () => CloudStore, newGateway: NewGateway): void {
  describe('ingest', () => {
    let store: CloudStore;
    beforeAll(() => {
      store = getStore();
    });

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

      const n = id.slice('gw-'.length);
      const e1 = `EE${n}01`;
      const e2 = `EE${n}02`;
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
}
