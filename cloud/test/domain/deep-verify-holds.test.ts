import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyDeep } from './deep-verify-flow.js';
import { deepFindings, type HoldsFlow, holdsFlow, holdTampers } from './deep-verify-holds-flow.js';
import { type Harness, openHarness } from './harness.js';

let h: Harness;
let flow: HoldsFlow;
const findings = () => deepFindings(h.engine.db);

beforeAll(async () => {
  h = await openHarness();
  flow = await holdsFlow(h);
});
afterAll(() => h?.close());

/**
 * `audit verify --deep` over quantity holds built by the real engine (`holdsFlow`: ingest → derivation →
 * signed dispositions; created, decided, held more after a decision, lifted, merged, moved). What the
 * derivation and the decisions write is what the trail replays to; a direct edit of `quantity_holds` is
 * reported, naming the row.
 */
describe('audit verify --deep over quantity holds', () => {
  it('holds created, decided, changed after the decision, lifted, merged and moved agree with the trail', async () => {
    expect(await findings()).toEqual([]);
  });

  const tampers = holdTampers(
    () => h.engine.db,
    () => flow,
  );

  it.each(tampers)(
    'reports %s, naming the row; undone, the tables agree again',
    async (_what, tamper, undo, expected) => {
      expect(await findings()).toEqual([]);
      await tamper();
      const found = (await findings()).join('\n');
      for (const e of expected()) expect(found).toMatch(e);
      await undo();
      expect(await findings()).toEqual([]);
    },
  );

  it('reports a hold deleted and a hold inserted outside the audited path', async () => {
    expect(await findings()).toEqual([]);
    const [l] = await h.engine.db
      .selectFrom('quantity_holds')
      .selectAll()
      .where('lot_id', '=', 'LOT-L')
      .execute();
    expect(l).toBeDefined();
    await h.engine.db.deleteFrom('quantity_holds').where('lot_id', '=', 'LOT-L').execute();
    expect((await findings()).join('\n')).toMatch(
      new RegExp(
        `quantity holds: quantity_holds row LOT-L\\|fridge\\|${flow.x1}: missing: audit entry \\d+ \\(disposition\\.release\\) left it released; the row was deleted outside the audited path`,
      ),
    );
    await h.engine.db.insertInto('quantity_holds').values(l!).execute();
    expect(await findings()).toEqual([]);
    await h.engine.db
      .insertInto('quantity_holds')
      .values({ ...l!, lot_id: 'LOT-X', state: 'released', disposition_id: null })
      .execute();
    expect((await findings()).join('\n')).toMatch(
      new RegExp(
        `quantity holds: quantity_holds row LOT-X\\|fridge\\|${flow.x1}: state released, 1 unit\\(s\\): no audit entry records this hold \\(written outside the audited path\\)`,
      ),
    );
    await h.engine.db.deleteFrom('quantity_holds').where('lot_id', '=', 'LOT-X').execute();
    expect(await findings()).toEqual([]);
  });

  it('the CLI prints the check and, for a direct edit, the finding (exit 1)', async () => {
    const file = (n: string) => join(h.dir, `copy-${n}.db`);
    h.store.opened.sqlite!.exec(`VACUUM INTO '${file('clean')}'`);
    const clean = await verifyDeep(`sqlite:${file('clean')}`);
    expect(clean.out).toMatch(/deep check quantity holds \(.*\): ok/);
    expect(clean.code).toBe(0);
    await sql`UPDATE quantity_holds SET state = 'released' WHERE lot_id = 'LOT-Q' AND location_id = 'fridge'`.execute(
      h.engine.db,
    );
    h.store.opened.sqlite!.exec(`VACUUM INTO '${file('tampered')}'`);
    await sql`UPDATE quantity_holds SET state = 'rejected' WHERE lot_id = 'LOT-Q' AND location_id = 'fridge'`.execute(
      h.engine.db,
    );
    const r = await verifyDeep(`sqlite:${file('tampered')}`);
    expect(r.out).toMatch(/audit trail intact/);
    expect(r.out).toMatch(/deep check quantity holds \(.*\): 2 finding\(s\)/);
    expect(r.out).toMatch(/tables CONTRADICT/);
    expect(r.code).toBe(1);
  });
});
