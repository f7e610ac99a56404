import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gtinOf, sgtin96Hex } from '@coldtrace/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainEpcisData } from '../../src/epcis/domain-epcis-data.js';
import { buildEpcisDocument } from '../../src/epcis/epcis-document.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { DomainStore } from '../../src/store/domain-store.js';
import { epcisErrors } from './epcis-schema.js';

/**
 * The lock grouping of `DomainEpcisData` over stored engine rows (a real SQLite store; the rows are
 * written directly so every end state can be set up precisely).
 */
const E = [1, 2, 3, 4].map((serial) => sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial }));
const GTIN = gtinOf(E[0]!)!;
let dir: string;
let store: CloudStore;
let ds: DomainStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldtrace-epcis-domain-'));
  store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'c.db')}`));
  ds = new DomainStore(store);
  await ds.upsertProduct({ gtin: GTIN, name: 'P', min_c: 2, max_c: 8, stability_budget_ms: 1 }, 't', 1);
  await ds.upsertLot({ id: 'L1', gtin: GTIN, lot_number: 'N1', expiry: '2027-01-01' }, 't', 1);
  await ds.upsertLot({ id: 'L2', gtin: GTIN, lot_number: 'N2', expiry: '2027-01-01' }, 't', 1);
  await ds.commission('L1', [E[0]!, E[1]!, E[2]!], 't', 1);
  await ds.commission('L2', [E[3]!], 't', 1);
  const lock = (epc: string, state: string, dispositionId: string | null, updatedAt: number) => ({
    epc,
    cause: 'excursion',
    rule_key: 'X',
    excursion_id: 'X',
    location_id: 'truck-1',
    exposed_from: 50,
    exposed_to: 90,
    state,
    reason: 'r',
    disposition_id: dispositionId,
    created_at: 100,
    updated_at: updatedAt,
  });
  await ds.db
    .insertInto('locks')
    .values([
      lock(E[0]!, 'released', 'd1', 210),
      lock(E[1]!, 'released', 'd1', 210),
      lock(E[2]!, 'rejected', 'd2', 260),
      lock(E[3]!, 'lifted', null, 300),
    ])
    .execute();
  const disp = (id: string, decision: string, signedAt: number, epc: string | null) => ({
    id,
    excursion_id: 'X',
    scope: epc ? 'epc' : 'lot',
    lot_id: epc ? null : 'L1',
    epc,
    decision,
    reason: `${decision} reason`,
    signer_id: 'u',
    signer_username: 'qa',
    printed_name: 'Q A',
    meaning: 'm',
    signed_at: signedAt,
    excursion_version: 1,
    units: 1,
  });
  await ds.db
    .insertInto('dispositions')
    .values([disp('d1', 'release', 200, null), disp('d2', 'reject', 250, E[2]!)])
    .execute();
  await ds.db
    .insertInto('custody')
    .values([
      { epc: E[0]!, entered_at: 10, left_at: 60, location_id: 'room-1', gateway_id: 'gw', seq: 1 },
      { epc: E[0]!, entered_at: 60, left_at: null, location_id: 'truck-1', gateway_id: 'gw', seq: 2 },
      { epc: E[3]!, entered_at: 5, left_at: 8, location_id: 'room-1', gateway_id: 'gw', seq: 3 },
    ])
    .execute();
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DomainEpcisData', () => {
  it('groups lock rows per excursion, lot and end; QA ends at the signature time, lifts at the update', async () => {
    const data = new DomainEpcisData(ds);
    const locks = await data.locks(null, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    expect(locks.map((l) => ({ id: l.id, epcs: l.epcs, end: l.end }))).toEqual([
      {
        id: 'X|L1|100|rejected|d2',
        epcs: [E[2]],
        end: { at: 250, outcome: 'rejected', reason: 'reject reason' },
      },
      {
        id: 'X|L1|100|released|d1',
        epcs: [E[0], E[1]].sort(),
        end: { at: 200, outcome: 'released', reason: 'release reason' },
      },
      { id: 'X|L2|100', epcs: [E[3]], end: { at: 300, outcome: 'auto_released', reason: 'r' } },
    ]);
    // Filtered by EPCs and by time (a lock ended before the window is left out).
    expect((await data.locks([E[3]!], 0, 1000)).map((l) => l.id)).toEqual(['X|L2|100']);
    expect((await data.locks(null, 260, 1000)).map((l) => l.id)).toEqual(['X|L2|100']);
    expect(await data.lotEpcs('L2')).toEqual([E[3]]);
    expect(await data.lotEpcs('nope')).toBeNull();
  });

  it('reads custody intervals overlapping the window', async () => {
    const data = new DomainEpcisData(ds);
    expect(await data.custody([E[0]!], 60, 1000)).toEqual([
      { epc: E[0], locationId: 'truck-1', enteredAt: 60, leftAt: null },
    ]);
    expect((await data.custody(null, 9, 11)).map((c) => c.epc)).toEqual([E[0]]); // E[3] left at 8
    expect((await data.custody(null, 0, 11)).map((c) => c.epc)).toEqual([E[0], E[3]]);
  });

  it('gives a schema-valid document with one set and one unset per lock', async () => {
    const data = new DomainEpcisData(ds);
    const doc = buildEpcisDocument({
      creationDate: 1000,
      asOf: 1000,
      baseUri: 'https://cloud.example/api/v1',
      locations: [],
      passes: [],
      custody: [],
      readings: [],
      locks: await data.locks(null, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY),
    });
    expect(epcisErrors(doc)).toEqual([]);
    const ev = doc.epcisBody.eventList as Array<{
      persistentDisposition?: { set?: string[]; unset?: string[] };
    }>;
    expect(ev.filter((e) => e.persistentDisposition?.set?.includes('non_sellable_other'))).toHaveLength(3);
    expect(ev.filter((e) => e.persistentDisposition?.unset)).toHaveLength(3);
  });
});
