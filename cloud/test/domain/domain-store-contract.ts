import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assessLot } from '../../src/domain/lot-assessment.js';
import { signDisposition } from '../../src/engine/sign-disposition.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { lotReads } from '../../src/store/lot-reads.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import { windowReads } from '../../src/store/window-reads.js';
import { unitEpc as epc } from './domain-fixtures.js';
import { type Harness, location, MIN, openHarness, pass, reading, sendAll, snapshot, T0 } from './harness.js';

const GTIN = '80614141123458';

/**
 * The domain engine's storage contract, run on SQLite (default suite) and PostgreSQL (services suite):
 * master data with its validation, custody, excursions, locks, dispositions and the audit chain behave
 * the same on both dialects.
 */
export function runDomainStoreContract(
  name: string,
  open: () => Promise<{ url: string | undefined; cleanup(): Promise<void> }>,
): void {
  describe(`domain store contract: ${name}`, () => {
    let h: Harness;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      const o = await open();
      cleanup = o.cleanup;
      h = await openHarness({ url: o.url });
      for (const id of ['room-a', 'truck-1']) await location(h, id);
      await h.store.upsertGateway({ id: 'gw-1', now: T0 });
    });
    afterEach(async () => {
      await h.close();
      await cleanup();
    });

    it('stores master data and refuses bad master data with clear errors', async () => {
      await expect(
        h.domain.upsertProduct(
          { gtin: GTIN, name: 'X', min_c: 8, max_c: 2, stability_budget_ms: 0 },
          'a',
          T0,
        ),
      ).rejects.toMatchObject({ code: 'invalid' });
      await h.domain.upsertProduct(
        { gtin: GTIN, name: 'Vaccine', min_c: 2, max_c: 8, stability_budget_ms: MIN },
        'a',
        T0,
      );
      await expect(
        h.domain.upsertLot(
          { id: 'L0', gtin: '00000000000000', lot_number: 'Z', expiry: '2027-01-01' },
          'a',
          T0,
        ),
      ).rejects.toMatchObject({ code: 'invalid' });
      await h.domain.upsertLot({ id: 'L1', gtin: GTIN, lot_number: 'A', expiry: '2027-01-01' }, 'a', T0);
      await h.domain.upsertLot({ id: 'L2', gtin: GTIN, lot_number: 'B', expiry: '2027-01-01' }, 'a', T0);
      await expect(
        h.domain.upsertLot({ id: 'L3', gtin: GTIN, lot_number: 'A', expiry: '2027-01-01' }, 'a', T0),
      ).rejects.toMatchObject({ code: 'conflict' });
      expect(await h.domain.commission('L1', [epc(1), epc(2), epc(2)], 'a', T0)).toEqual({ added: 2 });
      expect(await h.domain.commission('L1', [epc(1)], 'a', T0)).toEqual({ added: 0 });
      await expect(h.domain.commission('L2', [epc(1)], 'a', T0)).rejects.toMatchObject({ code: 'conflict' });
      await expect(h.domain.commission('L2', ['XYZ'], 'a', T0)).rejects.toMatchObject({ code: 'invalid' });
      await expect(h.domain.commission('nope', [epc(3)], 'a', T0)).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(
        h.domain.upsertSensor({ id: 's', name: 's', location_id: 'nowhere', gateway_id: null }, 'a', T0),
      ).rejects.toMatchObject({ code: 'invalid' });
      await h.domain.upsertSensor({ id: 's', name: 's', location_id: 'room-a', gateway_id: 'gw-1' }, 'a', T0);
      await h.domain.upsertPortal(
        { id: 'p', name: 'door', gateway_id: 'gw-1', from_location: 'room-a', to_location: 'truck-1' },
        'a',
        T0,
      );
      expect(await h.domain.listSensors()).toHaveLength(1);
      expect(await h.domain.listPortals()).toHaveLength(1);
      expect((await h.domain.listEpcs({ lotId: 'L1' })).map((e) => e.epc)).toEqual([epc(1), epc(2)].sort());
      expect((await verifyAuditTrail(h.engine.db)).ok).toBe(true);
    });

    it("answers a window's reads for several sensors at once as for each sensor alone", async () => {
      // Three sensors: in and out of 2–8 °C, a duplicate instant holding an out-of-range copy, and an
      // in-range reading ten days before the rest (beyond the nearest read's week: its second statement).
      let seq = 0;
      const events = [reading('gw-1', ++seq, 's3', 'room-a', T0 - 10 * 1440 * MIN, 4)];
      for (let m = 0; m < 30; m++) {
        events.push(reading('gw-1', ++seq, 's1', 'room-a', T0 + m * MIN, [5, 11, 1][m % 3]!));
        events.push(reading('gw-1', ++seq, 's2', 'room-a', T0 + m * MIN, m % 7 === 0 ? 9 : 3));
        if (m % 4 === 0) events.push(reading('gw-1', ++seq, 's2', 'room-a', T0 + m * MIN, 12));
        if (m >= 20) events.push(reading('gw-1', ++seq, 's3', 'room-a', T0 + m * MIN, m % 2 ? 6 : 10));
      }
      await sendAll(h, events);
      const rows = await h.store.db
        .selectFrom('readings')
        .select(['sensor_id', 'ts', 'temp_c'])
        .where('location_id', '=', 'room-a')
        .execute();
      const of = (s: string) => rows.filter((r) => r.sensor_id === s);
      const reads = windowReads(h.store.db);
      const sensors = ['s1', 's2', 's3', 'none'];
      const at = [T0 - 20 * 1440 * MIN, T0, T0 + 4 * MIN, T0 + 21 * MIN, T0 + 40 * MIN];
      const asks = sensors.flatMap((sensorId) => at.map((ts) => ({ sensorId, ts, minC: 2, maxC: 8 })));
      for (const side of ['before', 'after'] as const) {
        const want = asks.map(({ sensorId, ts, minC, maxC }) => {
          const hits = of(sensorId)
            .filter((r) => r.temp_c !== null && r.temp_c >= minC && r.temp_c <= maxC)
            .map((r) => r.ts)
            .filter((t) => (side === 'before' ? t < ts : t > ts));
          if (hits.length === 0) return undefined;
          return side === 'before' ? Math.max(...hits) : Math.min(...hits);
        });
        expect(await reads.nearestInRange('room-a', asks, side)).toEqual(want);
      }
      const points = sensors.flatMap((sensorId) => at.map((ts) => ({ sensorId, ts })));
      const values = await reads.valuesAt('room-a', points);
      expect(values.map((v) => [...v].sort())).toEqual(
        points.map((p) =>
          of(p.sensorId)
            .filter((r) => r.ts === p.ts)
            .map((r) => r.temp_c)
            .sort(),
        ),
      );
      const ranges = [
        { sensorId: 's2', lo: T0 + 3 * MIN, hi: T0 + 9 * MIN },
        { sensorId: 's1', lo: Number.NEGATIVE_INFINITY, hi: T0 + 5 * MIN },
        { sensorId: 's3', lo: T0, hi: Number.POSITIVE_INFINITY },
        { sensorId: 'none', lo: T0, hi: T0 + 9 * MIN },
      ];
      const samples = await reads.samples('room-a', ranges);
      expect(samples.map((ss) => ss.map((x) => x.ts))).toEqual(
        ranges.map((r) =>
          of(r.sensorId)
            .map((x) => x.ts)
            .filter((t) => t >= r.lo && t <= r.hi)
            .sort((a, b) => a - b),
        ),
      );
      expect(samples.flat().length).toBeGreaterThan(15);
    });

    it('derives custody, excursions and locks, tracks uncommissioned EPCs, and is idempotent', async () => {
      await h.domain.upsertProduct(
        { gtin: GTIN, name: 'Vaccine', min_c: 2, max_c: 8, stability_budget_ms: MIN },
        'a',
        T0,
      );
      await h.domain.upsertLot({ id: 'L1', gtin: GTIN, lot_number: 'A', expiry: '2027-01-01' }, 'a', T0);
      await h.domain.commission('L1', [epc(1)], 'a', T0);
      let seq = 0;
      const events = [
        pass('gw-1', ++seq, epc(1), 'room-a', 'truck-1', T0),
        pass('gw-1', ++seq, epc(9), 'room-a', 'truck-1', T0),
      ];
      for (let m = 0; m <= 60; m += 5)
        events.push(reading('gw-1', ++seq, 'r1', 'truck-1', T0 + m * MIN, m >= 20 && m < 45 ? 11 : 5));
      await sendAll(h, events);
      await h.engine.flush();
      const first = await snapshot(h);
      expect(first.excursions).toHaveLength(1);
      expect(first.locks.map((l) => l.epc).sort()).toEqual([epc(1), epc(9)].sort());
      expect(await h.domain.listEpcs({ uncommissioned: true })).toEqual([{ epc: epc(9), lotId: null }]);
      const view = (await h.domain.epcView(epc(9)))!;
      expect(view).toMatchObject({ commissioned: false, location: 'truck-1', locked: true });
      // Redelivery and recomputation change nothing.
      await sendAll(h, events);
      await h.engine.reconcileLocation('truck-1');
      await h.engine.reconcileEpcs([epc(1), epc(9)]);
      expect(await snapshot(h)).toEqual(first);
      const a = (await assessLot(lotReads(h.engine.db), 'L1'))!;
      expect(a).toMatchObject({
        units: { total: 1, locked: 1 },
        timeOutsideMs: 25 * MIN,
        withinBudget: false,
      });

      const [x] = await listExcursions(h.domain.db);
      const d = await signDisposition(
        h.engine,
        async () => ({ userId: 'u1', username: 'qa', printedName: 'Q. A.', roles: ['qa'] }),
        {
          excursionId: x!.id,
          epc: epc(9),
          decision: 'reject',
          reason: 'unknown unit',
          username: 'qa',
          password: 'x',
          signedInUserId: 'u1',
        },
      );
      expect(d.units).toBe(1);
      expect((await h.domain.listLocks({ epc: epc(9) }))[0]!.state).toBe('rejected');
      expect((await h.domain.getExcursion(x!.id))!.review_state).toBe('pending'); // epc(1) still locked
      const v = await verifyAuditTrail(h.engine.db);
      expect(v.ok).toBe(true);
      expect(v.entries).toBeGreaterThan(5);
    });
  });
}
