import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assessLot } from '../../src/domain/lot-assessment.js';
import { signDisposition } from '../../src/engine/sign-disposition.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { lotReads } from '../../src/store/lot-reads.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
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
