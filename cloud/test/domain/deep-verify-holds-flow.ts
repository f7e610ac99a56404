import { encodeGatewayPayload, type Scan } from '@coldtrace/shared';
import { type Kysely, sql } from 'kysely';
import { expect } from 'vitest';
import { deepFindingLine, deepVerify } from '../../src/domain/deep-verify.js';
import { readDeepVerifyData } from '../../src/store/deep-verify-reads.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import type { Database } from '../../src/store/schema.js';
import { untaggedScan } from '../helpers/records.js';
import { annaSigns } from './domain-fixtures.js';
import { evaluateAll, type Harness, location, MIN, reading, sendAll, T0 } from './harness.js';

/** The findings of the deep checks, one line each (empty: the tables agree with the trail). */
export const deepFindings = async (db: Kysely<Database>) =>
  deepVerify(await readDeepVerifyData(db)).findings.map(deepFindingLine);

export interface HoldsFlow {
  /** The fridge excursion holding LOT-Q (rejected) and LOT-L (released). */
  x1: string;
  /** The release signed on the later fridge-5 excursion, carried into the earlier one by the merge. */
  released5: string;
}

/**
 * Quantity holds built by the real engine (ingest → derivation → signed dispositions) on the harness's
 * database: created, decided, held more after a decision, lifted, merged (the other or the decided hold
 * kept) and moved (docs/barcode.md "Quantity custody").
 */
export async function holdsFlow(h: Harness): Promise<HoldsFlow> {
  let seq = 0;
  const GTIN = '80614141123458';
  const at = (min: number) => T0 + min * MIN;
  const holds = () =>
    h.engine.db.selectFrom('quantity_holds').selectAll().orderBy('location_id').orderBy('lot_id').execute();

  /** Scans of units without serial of lot number `lot` at `location` (docs/barcode.md "Quantity custody"). */
  async function scans(location: string, lot: string, mins: number[], direction = 'putaway'): Promise<void> {
    const records: Scan[] = mins.map((min) =>
      untaggedScan({
        seq: ++seq,
        ts: at(min),
        gtin: GTIN,
        lot,
        locationId: location,
        direction: direction as Scan['direction'],
      }),
    );
    const payload = encodeGatewayPayload('movements', {
      gatewayId: 'gw-a',
      firstSeq: records[0]!.seq,
      lastSeq: records[records.length - 1]!.seq,
      sentAt: T0,
      records,
    } as never);
    const out = await h.ingestors[0]!.handle({
      topic: 'coldtrace/v1/gw/gw-a/movements',
      payload: Buffer.from(payload),
    });
    expect(out.kind).toBe('stored');
  }

  /** Readings of one sensor at `location`, minute by minute as given, 12 °C where `warm` says. */
  const readings = (
    location: string,
    mins: number[],
    warm: (m: number) => boolean,
    sensor = `s-${location}`,
  ) =>
    sendAll(
      h,
      mins.map((m) => reading('gw-a', ++seq, sensor, location, at(m), warm(m) ? 12 : 5)),
    );

  const decide = (excursionId: string, lotId: string, decision: 'release' | 'reject') =>
    annaSigns(h, { excursionId, lotId, decision, reason: 'reviewed the held quantity' });

  const range = (from: number, to: number, step: number) =>
    Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, k) => from + k * step);

  for (const id of ['fridge', 'fridge-2', 'fridge-4', 'fridge-5', 'fridge-6', 'fridge-7'])
    await location(h, id);
  await h.store.upsertGateway({ id: 'gw-a', now: T0 });
  await h.domain.upsertProduct(
    { gtin: GTIN, name: 'Vaccine X', min_c: 2, max_c: 8, stability_budget_ms: 0 },
    'admin',
    T0,
  );
  await h.domain.upsertLot({ id: 'LOT-Q', gtin: GTIN, lot_number: 'Q1', expiry: '2027-12-31' }, 'admin', T0);
  await h.domain.upsertLot({ id: 'LOT-L', gtin: GTIN, lot_number: 'L1', expiry: '2027-12-31' }, 'admin', T0);
  // Two vials of LOT-Q on hand in the fridge while it is at 12 °C (minutes 20 to 44): an excursion holds them.
  await scans('fridge', 'Q1', [5, 6, 7]);
  await scans('fridge', 'Q1', [8], 'picking');
  await readings('fridge', range(0, 60, 2), (m) => m >= 20 && m < 45);
  await evaluateAll(h);
  const fridge = await listExcursions(h.domain.db, { locationId: 'fridge' });
  expect(fridge).toHaveLength(1);
  const x1 = fridge[0]!.id;
  // A late scan inside the past excursion holds LOT-L too.
  await scans('fridge', 'L1', [30]);
  await evaluateAll(h);
  expect((await holds()).map((r) => [r.lot_id, r.state, Number(r.units)])).toEqual([
    ['LOT-L', 'active', 1],
    ['LOT-Q', 'active', 2],
  ]);
  await decide(x1, 'LOT-Q', 'reject');
  await decide(x1, 'LOT-L', 'release');
  // A late scan puts one more vial of LOT-Q in the fridge during the excursion: the rejected hold holds 3,
  // its decision standing for the 2 it covered.
  await scans('fridge', 'Q1', [25]);
  await evaluateAll(h);
  const q = (await holds()).find((r) => r.lot_id === 'LOT-Q')!;
  expect([q.state, Number(q.units), Number(q.decided_units)]).toEqual(['rejected', 3, 2]);

  // fridge-2: a hold that late data lifts (an in-range reading splits the excursion below the alarm delay).
  await scans('fridge-2', 'Q1', [100]);
  await readings('fridge-2', [110, 120, 132, 134], (m) => m === 120 || m === 132);
  await evaluateAll(h);
  await readings('fridge-2', [126], () => false);
  await evaluateAll(h);
  expect((await holds()).filter((r) => r.location_id === 'fridge-2').map((r) => r.state)).toEqual(['lifted']);

  // fridge-4: two excursions, the first decided, then a late sensor joins them: the holds merge.
  await scans('fridge-4', 'Q1', [300]);
  await readings('fridge-4', range(300, 360, 2), (m) => (m >= 310 && m < 322) || (m >= 330 && m < 342));
  await evaluateAll(h);
  const [first] = (await listExcursions(h.domain.db, { locationId: 'fridge-4' })).sort(
    (a, b) => Number(a.start_ts) - Number(b.start_ts),
  );
  await decide(first!.id, 'LOT-Q', 'reject');
  await readings('fridge-4', [318, 320, 324, 328, 332, 344], (m) => m > 318 && m < 344, 's-fridge-4b');
  await evaluateAll(h);
  expect(await listExcursions(h.domain.db, { locationId: 'fridge-4' })).toHaveLength(1);
  // fridge-5: the later excursion decided, then joined into the earlier (undecided) one: the decided hold
  // is the stronger and replaces the other's. fridge-6: a vial put in between the two excursions is held by
  // the later one only: its hold moves into the earlier one.
  await scans('fridge-5', 'Q1', [300]);
  await scans('fridge-6', 'Q1', [325]);
  for (const loc of ['fridge-5', 'fridge-6'])
    await readings(loc, range(300, 360, 2), (m) => (m >= 310 && m < 322) || (m >= 330 && m < 342));
  await evaluateAll(h);
  const [, later] = (await listExcursions(h.domain.db, { locationId: 'fridge-5' })).sort(
    (a, b) => Number(a.start_ts) - Number(b.start_ts),
  );
  const released5 = (await decide(later!.id, 'LOT-Q', 'release')).id;
  for (const loc of ['fridge-5', 'fridge-6'])
    await readings(loc, [318, 320, 324, 328, 332, 344], (m) => m > 318 && m < 344, `s-${loc}b`);
  await evaluateAll(h);
  expect(
    (await holds())
      .filter((r) => r.location_id === 'fridge-5' || r.location_id === 'fridge-6')
      .map((r) => [r.location_id, r.state, r.decided_units === null ? null : Number(r.decided_units)]),
  ).toEqual([
    ['fridge-5', 'released', 1],
    ['fridge-6', 'active', null],
  ]);
  // fridge-7: a vial on hand from minute 400 to 425, the fridge above 8 °C from 420 (10 °C, then 12 °C from 430
  // to 444): held. Its maximum raised to 11 °C, the excursion starts at 430, after the vial left: the change
  // would lift the hold, which is held instead (its hold_reason naming the change).
  await scans('fridge-7', 'Q1', [400]);
  await scans('fridge-7', 'Q1', [425], 'picking');
  await sendAll(
    h,
    range(400, 460, 2).map((m) =>
      reading('gw-a', ++seq, 's-fridge-7', 'fridge-7', at(m), m >= 430 && m < 445 ? 12 : m >= 420 ? 10 : 5),
    ),
  );
  await evaluateAll(h);
  const fridge7 = async () => (await holds()).filter((r) => r.location_id === 'fridge-7');
  expect((await fridge7()).map((r) => [r.state, Number(r.units), r.hold_reason])).toEqual([
    ['active', 1, null],
  ]);
  const loc7 = (await h.store.getLocation('fridge-7'))!;
  await h.store.upsertLocation({ ...loc7, max_c: 11 }, at(500), { actor: 'alice' });
  await evaluateAll(h);
  const [held7] = await fridge7();
  expect(held7).toMatchObject({ state: 'active', units: 1 });
  expect(held7!.hold_reason).toMatch(/changed by alice.*only a signed disposition releases it/);

  const actions = (
    await h.engine.db
      .selectFrom('audit_log')
      .select('action')
      .where('entity_type', '=', 'quantity_hold')
      .execute()
  ).map((a) => a.action);
  for (const a of ['created', 'changed', 'held', 'lifted', 'merged', 'moved'])
    expect(actions).toContain(`quantity_hold.${a}`);

  return { x1, released5 };
}

/** Direct edits of `quantity_holds` after `holdsFlow`, each with its undo and the findings it must cause. */
export function holdTampers(
  db: () => Kysely<Database>,
  flow: () => HoldsFlow,
): Array<[string, () => Promise<unknown>, () => Promise<unknown>, () => RegExp[]]> {
  const row = (lot: string, loc: string) => `${lot}\\|${loc}\\|\\S+`;
  let held7: string | null = null;
  const setHoldReason = (loc: string, value: string | null) =>
    sql`UPDATE quantity_holds SET hold_reason = ${value} WHERE location_id = ${loc}`.execute(db());
  const keepHeld7 = async () => {
    held7 = (
      await db()
        .selectFrom('quantity_holds')
        .select('hold_reason')
        .where('location_id', '=', 'fridge-7')
        .executeTakeFirstOrThrow()
    ).hold_reason;
    expect(held7).not.toBeNull();
  };
  return [
    [
      "a specification change's hold removed",
      async () => {
        await keepHeld7();
        await setHoldReason('fridge-7', null);
      },
      () => setHoldReason('fridge-7', held7),
      () => [
        new RegExp(
          `quantity holds: quantity_holds row ${row('LOT-Q', 'fridge-7')}: not held, but audit entry \\d+ \\(quantity_hold\\.held\\) left it held`,
        ),
      ],
    ],
    [
      "a specification change's hold given another reason",
      async () => {
        await keepHeld7();
        await setHoldReason('fridge-7', 'held by nobody');
      },
      () => setHoldReason('fridge-7', held7),
      () => [
        new RegExp(
          `quantity holds: quantity_holds row ${row('LOT-Q', 'fridge-7')}: hold_reason "held by nobody", but audit entry \\d+ \\(quantity_hold\\.held\\) recorded ".*changed by alice`,
        ),
      ],
    ],
    [
      'a hold no change held marked held',
      () => setHoldReason('fridge-6', 'held by nobody'),
      () => setHoldReason('fridge-6', null),
      () => [
        new RegExp(
          `quantity holds: quantity_holds row ${row('LOT-Q', 'fridge-6')}: held, but audit entry \\d+ \\(quantity_hold\\.\\w+\\) left it not held`,
        ),
      ],
    ],
    [
      'a rejected hold set to released',
      () =>
        sql`UPDATE quantity_holds SET state = 'released' WHERE lot_id = 'LOT-Q' AND location_id = 'fridge'`.execute(
          db(),
        ),
      () =>
        sql`UPDATE quantity_holds SET state = 'rejected' WHERE lot_id = 'LOT-Q' AND location_id = 'fridge'`.execute(
          db(),
        ),
      () => [
        new RegExp(
          `quantity holds: quantity_holds row ${row('LOT-Q', 'fridge')}: state released, but audit entry \\d+ \\(quantity_hold\\.changed\\) left it rejected`,
        ),
        new RegExp(
          `quantity holds: quantity_holds row ${row('LOT-Q', 'fridge')}: state released, but disposition \\S+ signed reject`,
        ),
      ],
    ],
    [
      "a hold's units lowered",
      () =>
        sql`UPDATE quantity_holds SET units = 1 WHERE lot_id = 'LOT-Q' AND location_id = 'fridge'`.execute(
          db(),
        ),
      () =>
        sql`UPDATE quantity_holds SET units = 3 WHERE lot_id = 'LOT-Q' AND location_id = 'fridge'`.execute(
          db(),
        ),
      () => [
        new RegExp(
          `quantity holds: quantity_holds row ${row('LOT-Q', 'fridge')}: units 1, but audit entry \\d+ \\(quantity_hold\\.changed\\) recorded 3`,
        ),
      ],
    ],
    [
      "a decision's units raised",
      () =>
        sql`UPDATE quantity_holds SET decided_units = 3 WHERE lot_id = 'LOT-Q' AND location_id = 'fridge'`.execute(
          db(),
        ),
      () =>
        sql`UPDATE quantity_holds SET decided_units = 2 WHERE lot_id = 'LOT-Q' AND location_id = 'fridge'`.execute(
          db(),
        ),
      () => [
        new RegExp(
          `quantity holds: quantity_holds row ${row('LOT-Q', 'fridge')}: decided_units 3, but audit entry \\d+ \\(quantity_hold\\.changed\\) recorded 2`,
        ),
        new RegExp(
          `quantity holds: quantity_holds row ${row('LOT-Q', 'fridge')}: decided_units 3, but disposition \\S+ signed 2 unit\\(s\\) \\(manifest [0-9a-f]{64}\\)`,
        ),
      ],
    ],
    [
      'the decision a merge carried over given to the other excursion',
      () =>
        sql`UPDATE quantity_holds SET decided_units = 5, disposition_id = NULL WHERE location_id = 'fridge-5'`.execute(
          db(),
        ),
      () =>
        sql`UPDATE quantity_holds SET decided_units = 1, disposition_id = ${flow().released5} WHERE location_id = 'fridge-5'`.execute(
          db(),
        ),
      () => [
        new RegExp(
          `quantity holds: quantity_holds row ${row('LOT-Q', 'fridge-5')}: disposition_id null, but audit entry \\d+ \\(quantity_hold\\.\\w+\\) recorded "${flow().released5}"`,
        ),
        new RegExp(
          `quantity holds: quantity_holds row ${row('LOT-Q', 'fridge-5')}: decided_units 5, but audit entry \\d+ \\(quantity_hold\\.\\w+\\) recorded 1`,
        ),
      ],
    ],
    [
      'an active hold lifted',
      () => sql`UPDATE quantity_holds SET state = 'lifted' WHERE location_id = 'fridge-4'`.execute(db()),
      () => sql`UPDATE quantity_holds SET state = 'rejected' WHERE location_id = 'fridge-4'`.execute(db()),
      () => [
        new RegExp(
          `quantity holds: quantity_holds row ${row('LOT-Q', 'fridge-4')}: state lifted, but audit entry \\d+ \\(quantity_hold\\.\\w+\\) left it rejected`,
        ),
      ],
    ],
  ];
}
