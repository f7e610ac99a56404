import { gtinOf, type Reading, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfigInput } from '../../src/config.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import type { TestUser } from '../helpers/auth.js';
import { qaApi } from '../helpers/qa-api.js';
import { movement, T0, untaggedScan } from '../helpers/records.js';
import type { TestCloud } from '../helpers/test-cloud.js';

const MIN = 60_000;
const CP = '4012345';
const GTIN_H = gtinOf(sgtin96Hex({ companyPrefix: CP, itemRef: '033333', serial: 1 }))!;
/** LOT-M's cases: EPC-tagged, passed into the fridge next to its units without serial. */
const EPCS_M = [1, 2].map((serial) => sgtin96Hex({ companyPrefix: CP, itemRef: '044444', serial }));
const GTIN_M = gtinOf(EPCS_M[0]!)!;
const at = (min: number) => T0 + min * MIN;
const LIMITS = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 10, maxGapMs: 30 * MIN };

/** A scan of a unit without serial of GTIN `gtin` and lot number `lot` put away at `location`. */
const scan = (min: number, gtin: string, lot: string, location: string) =>
  untaggedScan({ ts: at(min), gtin, lot, locationId: location });

const reading = (location: string, min: number, tempC: number): Reading => ({
  seq: 0,
  sensorId: `s-${location}`,
  locationId: location,
  ts: at(min),
  tempC,
  quality: 'ok',
});

/**
 * docs/domain.md "Rejected stock to its end" for held quantities (docs/barcode.md "Quantity custody"):
 * units without serial an excursion held and QA rejected are listed on /rejected-stock with where they
 * were held, counted on the dashboard, and closed by a lot's signed closing record (each rejected unit of
 * a hold once), alone or with the lot's rejected EPC units. On SQLite (held-closures.int.test.ts) and
 * PostgreSQL (held-closures.pg.svc.test.ts).
 */
export function heldClosuresSuite(
  name: string,
  store: () => Promise<Pick<CloudConfigInput, 'database'>>,
): void {
  describe(`rejected held quantities to their end (${name})`, () => {
    const api = qaApi();
    const { call, ok, publish } = api;
    let cloud: TestCloud;
    let qa: TestUser;
    let excursionId: string;

    const awaiting = async () => ok('GET', '/api/v1/rejected-stock');
    const close = (payload: object) =>
      call('POST', '/api/v1/stock-closures', { username: qa.username, password: qa.password, ...payload });
    const reject = async (lotId: string) =>
      ok('POST', `/api/v1/excursions/${encodeURIComponent(excursionId)}/dispositions`, {
        lotId,
        decision: 'reject',
        reason: 'held above 8 °C for 25 min',
        username: qa.username,
        password: qa.password,
      });

    beforeAll(async () => {
      ({ cloud, qa } = await api.start(await store()));
      await ok('PUT', '/api/v1/locations/fridge', { name: 'Fridge', kind: 'room', ...LIMITS });
      await ok('PUT', '/api/v1/locations/fridge-2', { name: 'Fridge 2', kind: 'room', ...LIMITS });
      for (const gtin of [GTIN_H, GTIN_M])
        await ok('PUT', `/api/v1/products/${gtin}`, {
          name: 'Vaccine',
          minC: 2,
          maxC: 8,
          stabilityBudgetMs: 0,
        });
      await ok('PUT', '/api/v1/lots/LOT-H', { gtin: GTIN_H, lotNumber: 'H1', expiry: '2027-12-31' });
      await ok('PUT', '/api/v1/lots/LOT-M', { gtin: GTIN_M, lotNumber: 'M1', expiry: '2027-12-31' });
      await ok('PUT', '/api/v1/lots/LOT-H2', { gtin: GTIN_H, lotNumber: 'H2', expiry: '2027-12-31' });
      await ok('POST', '/api/v1/lots/LOT-M/epcs', { epcs: EPCS_M });
      await api.signIn(qa);
      // Two vials of LOT-H and three of LOT-M without serial, and LOT-M's two tagged cases, into the fridge.
      await publish('movements', [
        scan(5, GTIN_H, 'H1', 'fridge'),
        scan(6, GTIN_H, 'H1', 'fridge'),
        ...[7, 8, 9].map((m) => scan(m, GTIN_M, 'M1', 'fridge')),
      ]);
      await publish(
        'movements',
        EPCS_M.map((epc, i) =>
          movement(0, epc, {
            portalId: 'fridge-door',
            from: 'receiving',
            to: 'fridge',
            direction: 'in',
            ts: at(10 + i),
            firstSeen: at(10 + i) - 500,
            lastSeen: at(10 + i) + 500,
          }),
        ),
      );
      // 12 °C from minute 20 to 44: an excursion holding both lots.
      await publish(
        'readings',
        Array.from({ length: 31 }, (_, k) => reading('fridge', 2 * k, 2 * k >= 20 && 2 * k < 45 ? 12 : 5)),
      );
      await until(async () => {
        await cloud.evaluator.flush();
        const holds = await ok('GET', '/api/v1/quantity-holds?state=active');
        const locks = await ok('GET', '/api/v1/locks?state=active');
        return holds.length === 2 && (Array.isArray(locks) ? locks : locks.items).length === 2;
      }, 'LOT-H and LOT-M held, LOT-M’s cases locked');
      [{ id: excursionId }] = await ok('GET', '/api/v1/excursions?locationId=fridge');
    });
    afterAll(() => api.stop());

    it('a rejected held quantity is listed per lot with where it was held, and counted on the dashboard', async () => {
      // Held but not decided: nothing awaits its end yet.
      expect(await awaiting()).toEqual([]);
      await reject('LOT-H');
      expect(await awaiting()).toEqual([
        {
          lotId: 'LOT-H',
          units: 0,
          rejectedAt: expect.any(Number),
          whereNow: {},
          heldUnits: 2,
          held: [{ locationId: 'fridge', excursionId, units: 2, rejectedAt: expect.any(Number) }],
        },
      ]);
      expect(await ok('GET', '/api/v1/summary')).toMatchObject({ rejectedAwaitingClosure: 2 });
    });

    it('a signed closing record closes it: gone from the list and the dashboard, listed with its held units, audited, once', async () => {
      // An EPC's record cannot close units without serial: LOT-H has none awaiting as EPCs.
      expect(
        (await close({ epc: EPCS_M[0], outcome: 'destroyed', reference: 'DC-1', reason: 'x' })).status,
      ).toBe(409);
      const closed = await close({
        lotId: 'LOT-H',
        outcome: 'destroyed',
        reference: 'DC-2026-090',
        reason: 'incinerated with the rejected batch',
      });
      expect(closed.status, JSON.stringify(closed.body)).toBe(201);
      expect(closed.body).toMatchObject({
        lotId: 'LOT-H',
        outcome: 'destroyed',
        units: 2,
        heldUnits: 2,
        held: [{ locationId: 'fridge', excursionId, units: 2 }],
        signature: {
          printedName: 'Quinn Assurance',
          meaning: expect.stringMatching(/^Destruction recorded/),
        },
        manifestHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(await awaiting()).toEqual([]);
      expect(await ok('GET', '/api/v1/summary')).toMatchObject({ rejectedAwaitingClosure: 0 });
      expect(await ok('GET', '/api/v1/stock-closures?lotId=LOT-H')).toEqual([
        expect.objectContaining({
          id: closed.body.id,
          heldUnits: 2,
          held: [{ locationId: 'fridge', excursionId, units: 2 }],
        }),
      ]);
      // The signed manifest names the held quantity it closed.
      const row = await cloud.evaluator.engine.db
        .selectFrom('stock_closures')
        .select('manifest_json')
        .where('id', '=', closed.body.id)
        .executeTakeFirstOrThrow();
      expect(JSON.parse(row.manifest_json).scope).toMatchObject({
        type: 'lot',
        lotId: 'LOT-H',
        units: [],
        held: [{ locationId: 'fridge', excursionId, units: 2 }],
      });
      const trail = await ok('GET', '/api/v1/audit?action=stock.destroyed');
      expect(Array.isArray(trail) ? trail : trail.items).toEqual([
        expect.objectContaining({
          action: 'stock.destroyed',
          entityId: closed.body.id,
          after: expect.objectContaining({ held: [{ locationId: 'fridge', excursionId, units: 2 }] }),
        }),
      ]);
      const events = await cloud.store.db
        .selectFrom('outbox')
        .select('payload')
        .where('event', '=', 'stock_closed')
        .where('target', '=', 'mqtt')
        .execute();
      expect(events.map((e) => JSON.parse(e.payload))).toEqual([
        expect.objectContaining({
          closureId: closed.body.id,
          units: [],
          quantities: [{ lotId: 'LOT-H', locationId: 'fridge', excursionId, units: 2 }],
        }),
      ]);
      // Each hold is closed once.
      const again = await close({ lotId: 'LOT-H', outcome: 'returned', reference: 'RMA-1', reason: 'again' });
      expect(again.status).toBe(409);
      expect(again.body.message ?? again.body.error).toMatch(/no rejected units awaiting/);
      expect((await verifyAuditTrail(cloud.evaluator.engine.db)).ok).toBe(true);
    });

    it('a lot with rejected EPC units and a rejected held quantity: listed together, one record closes both', async () => {
      await reject('LOT-M');
      expect(await awaiting()).toEqual([
        expect.objectContaining({
          lotId: 'LOT-M',
          units: 2,
          whereNow: { fridge: 2 },
          heldUnits: 3,
          held: [expect.objectContaining({ locationId: 'fridge', excursionId, units: 3 })],
        }),
      ]);
      expect(await ok('GET', '/api/v1/summary')).toMatchObject({ rejectedAwaitingClosure: 5 });
      // One case's own record closes that case only: the held quantity still awaits its end.
      const one = await close({
        epc: EPCS_M[0],
        outcome: 'returned',
        reference: 'RMA-7',
        reason: 'case back',
      });
      expect(one.status, JSON.stringify(one.body)).toBe(201);
      expect(one.body).toMatchObject({ units: 1, heldUnits: 0, held: [] });
      expect(await awaiting()).toEqual([expect.objectContaining({ lotId: 'LOT-M', units: 1, heldUnits: 3 })]);
      const closed = await close({
        lotId: 'LOT-M',
        outcome: 'returned',
        reference: 'RMA-8',
        reason: 'rest back',
      });
      expect(closed.status, JSON.stringify(closed.body)).toBe(201);
      expect(closed.body).toMatchObject({
        units: 4,
        heldUnits: 3,
        held: [{ locationId: 'fridge', excursionId, units: 3 }],
      });
      const units = await cloud.evaluator.engine.db
        .selectFrom('stock_closure_units')
        .select('epc')
        .where('closure_id', '=', closed.body.id)
        .execute();
      expect(units.map((u) => u.epc)).toEqual([EPCS_M[1]!.toUpperCase()]);
      expect(await awaiting()).toEqual([]);
      expect(await ok('GET', '/api/v1/summary')).toMatchObject({ rejectedAwaitingClosure: 0 });
      expect(
        (await close({ lotId: 'LOT-M', outcome: 'destroyed', reference: 'DC-9', reason: 'x' })).status,
      ).toBe(409);
    });

    it('a closed hold stays closed when late data merges its excursion into an earlier one', async () => {
      const holdsAt2 = async () => ok('GET', '/api/v1/quantity-holds?locationId=fridge-2');
      // A vial of LOT-H2 put away between two 12-min warm-ups of fridge-2: held by the second only.
      await publish('movements', [scan(325, GTIN_H, 'H2', 'fridge-2')]);
      await publish(
        'readings',
        Array.from({ length: 31 }, (_, k) => {
          const m = 300 + 2 * k;
          return reading('fridge-2', m, (m >= 310 && m < 322) || (m >= 330 && m < 342) ? 12 : 5);
        }),
      );
      await until(async () => {
        await cloud.evaluator.flush();
        return (
          (await ok('GET', '/api/v1/excursions?locationId=fridge-2')).length === 2 &&
          (await holdsAt2()).length === 1
        );
      }, 'two excursions at fridge-2, LOT-H2 held by the second');
      const [first, second] = (await ok('GET', '/api/v1/excursions?locationId=fridge-2')).sort(
        (a: { startTs: number }, b: { startTs: number }) => a.startTs - b.startTs,
      );
      expect(await holdsAt2()).toEqual([
        expect.objectContaining({ lotId: 'LOT-H2', excursionId: second.id }),
      ]);
      await ok('POST', `/api/v1/excursions/${encodeURIComponent(second.id)}/dispositions`, {
        lotId: 'LOT-H2',
        decision: 'reject',
        reason: 'second warm-up',
        username: qa.username,
        password: qa.password,
      });
      expect(await awaiting()).toEqual([expect.objectContaining({ lotId: 'LOT-H2', heldUnits: 1 })]);
      const closed = await close({
        lotId: 'LOT-H2',
        outcome: 'destroyed',
        reference: 'DC-12',
        reason: 'binned',
      });
      expect(closed.status, JSON.stringify(closed.body)).toBe(201);
      expect(await awaiting()).toEqual([]);
      // A second sensor, late: warm from 320 to 332, joining both into one excursion (the oldest id).
      await publish(
        'readings',
        [318, 320, 324, 328, 332, 344].map((m) => ({
          ...reading('fridge-2', m, m < 344 && m > 318 ? 12 : 5),
          sensorId: 's-fridge-2b',
        })),
      );
      await until(async () => {
        await cloud.evaluator.flush();
        return (await holdsAt2())[0]?.excursionId === first.id;
      }, 'the hold moved to the merged excursion');
      expect(await holdsAt2()).toEqual([
        expect.objectContaining({ lotId: 'LOT-H2', excursionId: first.id, state: 'rejected' }),
      ]);
      // The stock was destroyed: it does not come back as awaiting its end.
      expect(await awaiting()).toEqual([]);
      expect(await ok('GET', '/api/v1/summary')).toMatchObject({ rejectedAwaitingClosure: 0 });
      expect(await ok('GET', '/api/v1/stock-closures?lotId=LOT-H2')).toEqual([
        expect.objectContaining({
          id: closed.body.id,
          held: [{ locationId: 'fridge-2', excursionId: first.id, units: 1 }],
        }),
      ]);
    });
  });
}
