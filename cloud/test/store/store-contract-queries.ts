import type { AlarmsBatch, MovementsBatch, ReadingsBatch } from '@coldtrace/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import { movement, readings, readingsBatch, T0 } from '../helpers/records.js';
import { alarm, batchOf, excursion, type NewGateway } from './store-contract-fixtures.js';

/**
 * Dead letters, the read queries and counts, locations and derived excursions: part of the store
 * contract (`runStoreContract`).
 */
export function queryContract(getStore: () => CloudStore, newGateway: NewGateway): void {
  describe('dead letters', () => {
    let store: CloudStore;
    beforeAll(() => {
      store = getStore();
    });

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
    let store: CloudStore;
    beforeAll(() => {
      store = getStore();
    });

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
    let store: CloudStore;
    beforeAll(() => {
      store = getStore();
    });

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
    let store: CloudStore;
    beforeAll(() => {
      store = getStore();
    });

    it('replaces one location’s excursions and gaps, leaving other locations alone', async () => {
      const e1 = excursion('ex-1@a', 'ex-1', T0 + 1000);
      const e2 = excursion('ex-1@b', 'ex-1', T0, {
        end_ts: null,
        excursion_at: null,
        mkt_c: null,
        state: 'open',
      });
      const other = excursion('ex-2@a', 'ex-2', T0);
      await store.replaceLocationDerived('ex-2', [other], [{ sensor_id: 's9', from_ts: T0, to_ts: T0 + 5 }]);
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
}
