import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gtinOf, sgtin96Hex } from '@coldtrace/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuantityHoldRow } from '../../src/domain/locks/quantity-holds.js';
import { DomainEpcisData } from '../../src/epcis/domain-epcis-data.js';
import { buildEpcisDocument } from '../../src/epcis/epcis-document.js';
import { StoreEpcisSource } from '../../src/epcis/epcis-source.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { DomainStore } from '../../src/store/domain-store.js';
import { epcisErrors } from './epcis-schema.js';

/**
 * Quantity holds through the EPCIS sources (`DomainEpcisData.holds`, `StoreEpcisSource`) over a real SQLite
 * store: rows written directly so every state and decision can be set up precisely.
 */
const TAG = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 1 });
const GTIN = gtinOf(TAG)!;
/** A GTIN no commissioned tag carries: its prefix length is unknown. */
const UNTAGGED_GTIN = '09521234543213';
const ALL = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY] as const;
let dir: string;
let store: CloudStore;
let ds: DomainStore;

const row = (over: Partial<QuantityHoldRow>): QuantityHoldRow => ({
  lot_id: 'L1',
  location_id: 'fridge',
  excursion_id: 'X1',
  units: 5,
  exposed_from: 50,
  exposed_to: 90,
  state: 'active',
  disposition_id: null,
  reason: 'held',
  hold_reason: null,
  decided_version: null,
  decided_units: null,
  created_at: 100,
  updated_at: 100,
  ...over,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldtrace-epcis-holds-'));
  store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'c.db')}`));
  ds = new DomainStore(store);
  for (const gtin of [GTIN, UNTAGGED_GTIN])
    await ds.upsertProduct({ gtin, name: 'P', min_c: 2, max_c: 8, stability_budget_ms: 1 }, 't', 1);
  await ds.upsertLot({ id: 'L1', gtin: GTIN, lot_number: 'N1', expiry: '2027-01-01' }, 't', 1);
  await ds.upsertLot({ id: 'L2', gtin: UNTAGGED_GTIN, lot_number: 'N/2', expiry: '2027-01-01' }, 't', 1);
  await ds.commission('L1', [TAG], 't', 1);
  await ds.db
    .insertInto('quantity_holds')
    .values([
      // released by d1 for 4 of its 5 units (one exposed after the decision stays held)
      row({ state: 'released', disposition_id: 'd1', decided_version: 1, decided_units: 4, updated_at: 220 }),
      row({
        location_id: 'fridge-2',
        state: 'rejected',
        disposition_id: 'd2',
        decided_version: 1,
        decided_units: 3,
        units: 3,
        created_at: 110,
        updated_at: 260,
      }),
      row({ excursion_id: 'X2', state: 'lifted', reason: 'withdrawn', created_at: 300, updated_at: 340 }),
      row({ lot_id: 'L2', units: 2, created_at: 400, updated_at: 400 }),
    ])
    .execute();
  const disp = (id: string, decision: string, signedAt: number) => ({
    id,
    excursion_id: 'X1',
    scope: 'lot',
    lot_id: 'L1',
    epc: null,
    decision,
    reason: `${decision} reason`,
    signer_id: 'u',
    signer_username: 'qa',
    printed_name: 'Q A',
    meaning: 'm',
    signed_at: signedAt,
    excursion_version: 1,
    units: 0,
  });
  await ds.db
    .insertInto('dispositions')
    .values([disp('d1', 'release', 200), disp('d2', 'reject', 250)])
    .execute();
  // The rejected hold destroyed: a lot closing record (0022) naming its 3 held units (0030).
  await ds.db
    .insertInto('stock_closures')
    .values({
      id: 'c1',
      scope: 'lot',
      lot_id: 'L1',
      epc: null,
      outcome: 'destroyed',
      reference: 'DC-7',
      reason: 'incinerated',
      units: 3,
      signer_id: 'u',
      signer_username: 'qa',
      printed_name: 'Q A',
      meaning: 'm',
      signed_at: 500,
      manifest_json: '{}',
      manifest_hash: 'h',
    })
    .execute();
  await ds.db
    .insertInto('stock_closure_holds')
    .values({
      closure_id: 'c1',
      lot_id: 'L1',
      location_id: 'fridge-2',
      excursion_id: 'X1',
      disposition_id: 'd2',
      units: 3,
    })
    .execute();
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('quantity holds from the store into the EPCIS export', () => {
  it('DomainEpcisData.holds: lot class, hold time, decision ends at the signature, lift at the update', async () => {
    const data = new DomainEpcisData(ds);
    const holds = await data.holds(null, ...ALL);
    expect(holds.map((h) => [h.id, h.epcClass, h.units, h.heldAt, h.end ?? null])).toEqual([
      [
        'L1|fridge|X1',
        'urn:epc:class:lgtin:0614141.812345.N1',
        5,
        100,
        { at: 200, outcome: 'released', units: 4, reason: 'release reason' },
      ],
      [
        'L1|fridge-2|X1',
        'urn:epc:class:lgtin:0614141.812345.N1',
        3,
        110,
        { at: 250, outcome: 'rejected', units: 3, reason: 'reject reason' },
      ],
      [
        'L1|fridge|X2',
        'urn:epc:class:lgtin:0614141.812345.N1',
        5,
        300,
        { at: 340, outcome: 'auto_released', units: 5, reason: 'withdrawn' },
      ],
      ['L2|fridge|X1', `https://id.gs1.org/01/${UNTAGGED_GTIN}/10/N%2F2`, 2, 400, null],
    ]);
    expect((await data.holds('L2', ...ALL)).map((h) => h.id)).toEqual(['L2|fridge|X1']);
    // In force during the window: the holds ended before 260 are left out, one held from 400 is not yet.
    expect((await data.holds(null, 260, 400)).map((h) => h.id)).toEqual(['L1|fridge|X2']);
  });

  it('the lot export and the whole export hold them and their closing records, an EPC export none; schema-valid', async () => {
    const source = new StoreEpcisSource(store, new DomainEpcisData(ds));
    const whole = await source.records({}, 1000);
    expect(whole.holds?.map((h) => h.id)).toEqual([
      'L1|fridge|X1',
      'L1|fridge-2|X1',
      'L1|fridge|X2',
      'L2|fridge|X1',
    ]);
    const lot = await source.records({ lot: 'L2' }, 1000);
    expect(lot.holds?.map((h) => h.id)).toEqual(['L2|fridge|X1']);
    const windowed = await source.records({ lot: 'L1', fromTs: 0, toTs: 105 }, 1000);
    expect(windowed.holds?.map((h) => h.id)).toEqual(['L1|fridge|X1']);
    // The EPC export: the precondition (lot L1 has holds) holds above; units without serial have no EPC.
    const byEpc = await source.records({ epc: TAG }, 1000);
    expect(byEpc.holds).toEqual([]);
    // The closing record of the rejected held units: in the lot's and the whole export, not the EPC's.
    const destroyed = {
      id: 'c1',
      epcs: [],
      quantities: [{ epcClass: 'urn:epc:class:lgtin:0614141.812345.N1', quantity: 3 }],
      at: 500,
      outcome: 'destroyed',
      reference: 'DC-7',
      locationId: 'fridge-2',
    };
    expect(whole.closures).toEqual([destroyed]);
    expect((await source.records({ lot: 'L1' }, 1000)).closures).toEqual([destroyed]);
    expect(lot.closures).toEqual([]);
    expect(byEpc.closures).toEqual([]);

    const doc = buildEpcisDocument({
      ...whole,
      creationDate: 1000,
      asOf: 1000,
      baseUri: 'https://cloud.example/api/v1',
    });
    expect(epcisErrors(doc)).toEqual([]);
    const ev = doc.epcisBody.eventList.filter((e) => 'ct:holdId' in e);
    expect(ev.map((e) => [e.eventTime, e['ct:holdId'], e['ct:outcome'] ?? 'held'])).toEqual([
      [new Date(100).toISOString(), 'L1|fridge|X1', 'held'],
      [new Date(110).toISOString(), 'L1|fridge-2|X1', 'held'],
      [new Date(200).toISOString(), 'L1|fridge|X1', 'released'],
      [new Date(250).toISOString(), 'L1|fridge-2|X1', 'rejected'],
      [new Date(300).toISOString(), 'L1|fridge|X2', 'held'],
      [new Date(340).toISOString(), 'L1|fridge|X2', 'auto_released'],
      [new Date(400).toISOString(), 'L2|fridge|X1', 'held'],
    ]);
    const closed = doc.epcisBody.eventList.filter((e) => e['ct:closureId'] === 'c1');
    expect(closed).toEqual([
      expect.objectContaining({
        eventTime: new Date(500).toISOString(),
        quantityList: [{ epcClass: 'urn:epc:class:lgtin:0614141.812345.N1', quantity: 3 }],
        bizStep: 'destroying',
        disposition: 'destroyed',
        bizLocation: { id: 'https://cloud.example/api/v1/locations/fridge-2' },
      }),
    ]);
    expect(closed[0]).not.toHaveProperty('epcList');
    expect(ev[2]).toMatchObject({
      quantityList: [{ epcClass: 'urn:epc:class:lgtin:0614141.812345.N1', quantity: 4 }],
      bizLocation: { id: 'https://cloud.example/api/v1/locations/fridge' },
      'ct:excursionId': 'X1',
    });
  });
});
