import { encodeGatewayPayload, type Scan } from '@coldtrace/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import { untaggedScan } from '../helpers/records.js';
import { deepFindings } from './deep-verify-holds-flow.js';
import { evaluateAll, type Harness, location, MIN, openHarness, reading, sendAll, T0 } from './harness.js';

const GTIN = '80614141123458';
const at = (min: number) => T0 + min * MIN;
const range = (from: number, to: number, step: number) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, k) => from + k * step);

let h: Harness;
let seq = 0;
beforeEach(async () => {
  h = await openHarness();
  seq = 0;
});
afterEach(() => h?.close());

async function scan(min: number, direction: Scan['direction']): Promise<void> {
  const record = untaggedScan({
    seq: ++seq,
    ts: at(min),
    gtin: GTIN,
    lot: 'Q1',
    locationId: 'fridge',
    direction,
  });
  const payload = encodeGatewayPayload('movements', {
    gatewayId: 'gw-a',
    firstSeq: record.seq,
    lastSeq: record.seq,
    sentAt: T0,
    records: [record],
  } as never);
  const out = await h.ingestors[0]!.handle({
    topic: 'coldtrace/v1/gw/gw-a/movements',
    payload: Buffer.from(payload),
  });
  expect(out.kind).toBe('stored');
}

const readings = (mins: number[], warm: (m: number) => boolean, sensor: string) =>
  sendAll(
    h,
    mins.map((m) => reading('gw-a', ++seq, sensor, 'fridge', at(m), warm(m) ? 12 : 5)),
  );

const holds = async () =>
  (await h.engine.db.selectFrom('quantity_holds').selectAll().orderBy('exposed_from').execute()).map((r) => [
    r.excursion_id,
    r.state,
    Number(r.units),
  ]);

describe('quantity holds when late data joins two excursions', () => {
  it("an excursion merged into one whose hold of the lot was lifted takes that hold's place (no duplicate row)", async () => {
    await location(h, 'fridge');
    await h.store.upsertGateway({ id: 'gw-a', now: T0 });
    await h.domain.upsertProduct(
      { gtin: GTIN, name: 'Vaccine X', min_c: 2, max_c: 8, stability_budget_ms: 0 },
      'admin',
      T0,
    );
    await h.domain.upsertLot(
      { id: 'LOT-Q', gtin: GTIN, lot_number: 'Q1', expiry: '2027-12-31' },
      'admin',
      T0,
    );
    await scan(300, 'putaway');
    await readings(range(300, 360, 2), (m) => (m >= 310 && m < 322) || (m >= 330 && m < 342), 's-a');
    await evaluateAll(h);
    const [first, second] = (await listExcursions(h.domain.db, { locationId: 'fridge' })).sort(
      (a, b) => Number(a.start_ts) - Number(b.start_ts),
    );
    expect([first, second].every(Boolean)).toBe(true);
    // Late scans: the vial was out during the first excursion, so that hold is lifted; the second holds it.
    await scan(305, 'picking');
    await scan(325, 'putaway');
    await evaluateAll(h);
    expect(await holds()).toEqual([
      [first!.id, 'lifted', 1],
      [second!.id, 'active', 1],
    ]);
    // A second sensor bridges the two: one excursion, one hold of the lot there, still active.
    await readings([318, 320, 324, 328, 332, 344], (m) => m > 318 && m < 344, 's-b');
    await evaluateAll(h);
    const merged = await listExcursions(h.domain.db, { locationId: 'fridge' });
    expect(merged).toHaveLength(1);
    expect(await holds()).toEqual([[merged[0]!.id, 'active', 1]]);
    expect(await deepFindings(h.engine.db)).toEqual([]);
  });
});
