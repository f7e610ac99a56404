import type { Reading, Scan } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfigInput } from '../../src/config.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import type { TestUser } from '../helpers/auth.js';
import { qaApi } from '../helpers/qa-api.js';
import { T0, untaggedScan } from '../helpers/records.js';
import type { TestCloud } from '../helpers/test-cloud.js';
import { hasPoppler, pdfToText } from '../reports/pdf-tools.js';

const MIN = 60_000;
const GTIN = '80614141123458';
const at = (min: number) => T0 + min * MIN;
const LIMITS = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 10, maxGapMs: 30 * MIN };

/** A scan of a unit without serial of lot `lot` (its number) at `location`. */
const scan = (seq: number, min: number, lot: string, location: string, direction = 'putaway'): Scan =>
  untaggedScan({
    seq,
    ts: at(min),
    gtin: GTIN,
    lot,
    locationId: location,
    direction: direction as Scan['direction'],
  });

const reading = (seq: number, location: string, min: number, tempC: number): Reading => ({
  seq,
  sensorId: `s-${location}`,
  locationId: location,
  ts: at(min),
  tempC,
  quality: 'ok',
});

/**
 * docs/barcode.md "Quantity custody" through the cloud (ingest → engine → API → disposition): vials without
 * serial put into a fridge that then warms up are held as a quantity of their lot; a late scan inside the
 * past excursion holds its lot too; QA rejects each lot with an e-signature (a lot with no serialised unit
 * can be decided), the excursion is decided once no hold is undecided; an excursion late data withdraws
 * lifts its hold. On SQLite (quantity-holds.int.test.ts) and PostgreSQL (quantity-holds.pg.svc.test.ts).
 */
export function quantityHoldsSuite(
  name: string,
  store: () => Promise<Pick<CloudConfigInput, 'database'>>,
): void {
  describe(`quantity holds: units without serial held when exposed, decided by QA (${name})`, () => {
    const api = qaApi();
    const { call, ok, publish } = api;
    let cloud: TestCloud;
    let qa: TestUser;
    let excursionId: string;

    const holds = async (query = '') => ok('GET', `/api/v1/quantity-holds${query}`);
    const settled = async (what: string, check: () => Promise<boolean>) =>
      until(async () => {
        await cloud.evaluator.flush();
        return check();
      }, what);

    beforeAll(async () => {
      ({ cloud, qa } = await api.start(await store()));
      for (const id of ['fridge', 'fridge-2', 'fridge-3', 'fridge-4'])
        await ok('PUT', `/api/v1/locations/${id}`, { name: id, kind: 'room', ...LIMITS });
      await ok('PUT', `/api/v1/products/${GTIN}`, {
        name: 'Vaccine',
        minC: 2,
        maxC: 8,
        stabilityBudgetMs: 0,
      });
      await ok('PUT', '/api/v1/lots/LOT-Q', { gtin: GTIN, lotNumber: 'Q1', expiry: '2027-12-31' });
      await ok('PUT', '/api/v1/lots/LOT-L', { gtin: GTIN, lotNumber: 'L1', expiry: '2027-12-31' });
      await api.signIn(qa);
      // Three vials of LOT-Q into the fridge, one picked out before it warms: two on hand.
      await publish('movements', [
        scan(0, 5, 'Q1', 'fridge'),
        scan(0, 6, 'Q1', 'fridge'),
        scan(0, 7, 'Q1', 'fridge'),
        scan(0, 8, 'Q1', 'fridge', 'picking'),
      ]);
      // 12 °C from minute 20 to 44: an excursion.
      await publish(
        'readings',
        Array.from({ length: 31 }, (_, k) => reading(0, 'fridge', 2 * k, 2 * k >= 20 && 2 * k < 45 ? 12 : 5)),
      );
      await settled('LOT-Q held', async () => (await holds('?state=active')).length === 1);
      [{ id: excursionId }] = await ok('GET', '/api/v1/excursions?locationId=fridge');
    });
    afterAll(() => api.stop());

    it('the exposed quantity is held: listed, and on the lot’s and the excursion’s quantities', async () => {
      expect(await holds()).toEqual([
        expect.objectContaining({
          lotId: 'LOT-Q',
          locationId: 'fridge',
          excursionId,
          units: 2,
          state: 'active',
          decidedUnits: null,
          dispositionId: null,
        }),
      ]);
      const q = await ok('GET', '/api/v1/lots/LOT-Q/quantities');
      expect(q.locations[0].exposures).toEqual([
        expect.objectContaining({
          excursionId,
          units: 2,
          hold: expect.objectContaining({ state: 'active', units: 2 }),
        }),
      ]);
      const x = await ok('GET', `/api/v1/excursions/${encodeURIComponent(excursionId)}/quantities`);
      expect(x.lots).toEqual([
        { lotId: 'LOT-Q', units: 2, hold: expect.objectContaining({ state: 'active', units: 2 }) },
      ]);
      // The recall trace says where the lot's units without serial are: two on hand in the fridge, held.
      const trace = await ok('GET', '/api/v1/lots/LOT-Q/trace');
      expect(trace.withoutSerial).toEqual([
        {
          locationId: 'fridge',
          onHand: 2,
          scannedIn: 3,
          scannedOut: 1,
          lastScanAt: at(8),
          held: 2,
          rejected: 0,
        },
      ]);
      const page = await holds('?limit=1&lotId=LOT-Q');
      expect(page).toMatchObject({ items: [{ lotId: 'LOT-Q' }], nextCursor: null });
      expect(await holds('?lotId=LOT-L')).toEqual([]);
    });

    it('a late scan inside the past excursion holds its lot too', async () => {
      await publish('movements', [scan(0, 30, 'L1', 'fridge')]);
      await settled('LOT-L held', async () => (await holds('?state=active')).length === 2);
      // The dashboard counts the held units awaiting a decision.
      expect(await ok('GET', '/api/v1/summary')).toMatchObject({ heldUnits: 3, holdsOutstanding: 2 });
      expect(await holds('?lotId=LOT-L')).toEqual([
        expect.objectContaining({ lotId: 'LOT-L', excursionId, units: 1, state: 'active' }),
      ]);
    });

    it('QA rejects a lot with only held units (e-signed); the excursion is decided once no hold is undecided', async () => {
      const id = encodeURIComponent(excursionId);
      const sign = (lotId: string) =>
        call('POST', `/api/v1/excursions/${id}/dispositions`, {
          lotId,
          decision: 'reject',
          reason: 'held above 8 °C for 25 min',
          username: qa.username,
          password: qa.password,
        });
      const q = await sign('LOT-Q');
      expect(q.status, JSON.stringify(q.body)).toBe(201);
      expect(await holds('?lotId=LOT-Q')).toEqual([
        expect.objectContaining({ state: 'rejected', units: 2, decidedUnits: 2, dispositionId: q.body.id }),
      ]);
      const row = await cloud.evaluator.engine.db
        .selectFrom('dispositions')
        .select(['manifest_json', 'units'])
        .where('id', '=', q.body.id)
        .executeTakeFirstOrThrow();
      expect(JSON.parse(row.manifest_json!).scope).toMatchObject({
        type: 'lot',
        lotId: 'LOT-Q',
        units: [],
        held: [{ locationId: 'fridge', units: 2 }],
      });
      expect(Number(row.units)).toBe(2);
      expect((await ok('GET', '/api/v1/lots/LOT-Q/trace')).withoutSerial).toEqual([
        expect.objectContaining({ locationId: 'fridge', onHand: 2, held: 0, rejected: 2 }),
      ]);
      // LOT-L is still held: the excursion is not decided yet.
      expect((await ok('GET', `/api/v1/excursions/${id}`)).reviewState).toBe('pending');
      // A signed decision stands.
      const again = await sign('LOT-Q');
      expect(again.status).toBe(409);
      expect(again.body.message ?? again.body.error).toMatch(/already decided/);
      expect((await sign('LOT-L')).status).toBe(201);
      expect((await ok('GET', `/api/v1/excursions/${id}`)).reviewState).toBe('decided');
      expect(await holds('?state=active')).toEqual([]);
      expect(await ok('GET', '/api/v1/summary')).toMatchObject({ heldUnits: 0, holdsOutstanding: 0 });
      // The excursion report lists the held quantities with their decisions.
      const pdf = await cloud.app.inject({
        url: `/api/v1/excursions/${id}/report.pdf`,
        headers: api.headers() as never,
      });
      expect(pdf.statusCode).toBe(200);
      if (!hasPoppler()) {
        console.warn(
          'SKIPPED the held-quantities PDF text check: poppler-utils (pdftotext) is not installed',
        );
        return;
      }
      const text = pdfToText(pdf.rawPayload).replace(/\s+/g, ' ');
      expect(text).toContain('Units without serial held');
      expect(text).toMatch(/LOT-L fridge 1 rejected rejected \(1 units\)/);
      expect(text).toMatch(/LOT-Q fridge 2 rejected rejected \(2 units\)/);
    });

    it('an excursion that late data withdraws lifts its hold (audited)', async () => {
      await publish('movements', [scan(0, 100, 'Q1', 'fridge-2')]);
      // 12 °C at minutes 120 and 132 (no reading between), back in range at 134: an excursion of 12 min.
      await publish('readings', [
        reading(0, 'fridge-2', 110, 5),
        reading(0, 'fridge-2', 120, 12),
        reading(0, 'fridge-2', 132, 12),
        reading(0, 'fridge-2', 134, 5),
      ]);
      await settled('LOT-Q held at fridge-2', async () => (await holds('?locationId=fridge-2')).length === 1);
      const [held] = await holds('?locationId=fridge-2');
      expect(held).toMatchObject({ lotId: 'LOT-Q', units: 1, state: 'active' });
      // A late in-range reading splits it into two runs shorter than the alarm delay: no excursion.
      await publish('readings', [reading(0, 'fridge-2', 126, 5)]);
      await settled('hold lifted', async () => (await holds('?locationId=fridge-2'))[0].state === 'lifted');
      expect(await ok('GET', '/api/v1/excursions?locationId=fridge-2')).toEqual([]);
      const trail = await ok('GET', '/api/v1/audit?entityType=quantity_hold');
      const actions = (Array.isArray(trail) ? trail : trail.items).map((e: { action: string }) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['quantity_hold.created', 'quantity_hold.lifted']));
      expect((await verifyAuditTrail(cloud.evaluator.engine.db)).ok).toBe(true);
    });

    it('a specification change withdrawing the excursion keeps it for review with its hold; QA decides it', async () => {
      await publish('movements', [scan(0, 200, 'Q1', 'fridge-3'), scan(0, 201, 'Q1', 'fridge-3')]);
      await publish(
        'readings',
        Array.from({ length: 16 }, (_, k) => reading(0, 'fridge-3', 205 + 2 * k, k >= 3 && k < 12 ? 12 : 5)),
      );
      await settled('LOT-Q held at fridge-3', async () => (await holds('?locationId=fridge-3')).length === 1);
      const [{ id: x3 }] = await ok('GET', '/api/v1/excursions?locationId=fridge-3');
      await ok('POST', '/api/v1/locations/fridge-3/limits/corrections', {
        ...LIMITS,
        maxC: 15,
        effectiveFrom: null,
        reason: 'mapping study',
        username: qa.username,
        password: qa.password,
      });
      await settled(
        'excursion withdrawn',
        async () => (await ok('GET', `/api/v1/excursions/${encodeURIComponent(x3)}`)).state === 'withdrawn',
      );
      const x = await ok('GET', `/api/v1/excursions/${encodeURIComponent(x3)}`);
      expect(x.reviewState).toBe('pending');
      expect(await holds('?locationId=fridge-3')).toEqual([
        expect.objectContaining({ excursionId: x3, units: 2, state: 'active' }),
      ]);
      const signed = await call('POST', `/api/v1/excursions/${encodeURIComponent(x3)}/dispositions`, {
        lotId: 'LOT-Q',
        decision: 'release',
        reason: 'limits corrected after the mapping study',
        username: qa.username,
        password: qa.password,
      });
      expect(signed.status, JSON.stringify(signed.body)).toBe(201);
      expect(await holds('?locationId=fridge-3')).toEqual([expect.objectContaining({ state: 'released' })]);
      expect((await ok('GET', `/api/v1/excursions/${encodeURIComponent(x3)}`)).reviewState).toBe('decided');
    });

    it('late data joining two excursions moves the hold: the signed decision stays, review reopens', async () => {
      await publish('movements', [scan(0, 300, 'Q1', 'fridge-4')]);
      // Two excursions of 12 min at fridge-4 (minutes 310-322 and 330-342).
      await publish(
        'readings',
        Array.from({ length: 31 }, (_, k) => {
          const m = 300 + 2 * k;
          return reading(0, 'fridge-4', m, (m >= 310 && m < 322) || (m >= 330 && m < 342) ? 12 : 5);
        }),
      );
      await settled('two holds at fridge-4', async () => (await holds('?locationId=fridge-4')).length === 2);
      const [first, second] = (await ok('GET', '/api/v1/excursions?locationId=fridge-4')).sort(
        (a: { startTs: number }, b: { startTs: number }) => a.startTs - b.startTs,
      );
      const signed = await call('POST', `/api/v1/excursions/${encodeURIComponent(first.id)}/dispositions`, {
        lotId: 'LOT-Q',
        decision: 'reject',
        reason: 'first warm-up',
        username: qa.username,
        password: qa.password,
      });
      expect(signed.status, JSON.stringify(signed.body)).toBe(201);
      // A second sensor, late: warm from 320 to 332, bridging the two into one excursion (the oldest id).
      await publish(
        'readings',
        [318, 320, 324, 328, 332, 344].map((m) => ({
          ...reading(0, 'fridge-4', m, m < 344 && m > 318 ? 12 : 5),
          sensorId: 's-fridge-4b',
        })),
      );
      await settled(
        'one excursion',
        async () => (await ok('GET', '/api/v1/excursions?locationId=fridge-4')).length === 1,
      );
      expect(await holds('?locationId=fridge-4')).toEqual([
        expect.objectContaining({ excursionId: first.id, state: 'rejected', dispositionId: signed.body.id }),
      ]);
      const trail = await ok('GET', '/api/v1/audit?entityType=quantity_hold&action=quantity_hold.merged');
      expect(
        (Array.isArray(trail) ? trail : trail.items).map((e: { entityId: string }) => e.entityId),
      ).toEqual([`LOT-Q|fridge-4|${second.id}`]);
      // The merged excursion changed after the decision: it is back in review and the lot can be decided again.
      expect((await ok('GET', `/api/v1/excursions/${encodeURIComponent(first.id)}`)).reviewState).toBe(
        'pending',
      );
    });
  });
}
