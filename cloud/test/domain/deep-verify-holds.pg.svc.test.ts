import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresUrl } from '../store/pg-fresh.js';
import { verifyDeep } from './deep-verify-flow.js';
import { deepFindings, type HoldsFlow, holdsFlow, holdTampers } from './deep-verify-holds-flow.js';
import { type Harness, openHarness } from './harness.js';

// The quantity hold check on PostgreSQL: its int8 and integer columns against the trail's JSON numbers.
let h: Harness;
let pg: Awaited<ReturnType<typeof freshPostgresUrl>>;
let flow: HoldsFlow;
beforeAll(async () => {
  pg = await freshPostgresUrl();
  h = await openHarness({ url: pg.url });
  flow = await holdsFlow(h);
});
afterAll(async () => {
  await h?.close();
  await pg?.drop();
});

describe('coldtrace audit verify --deep over quantity holds on PostgreSQL', () => {
  it('verifies the holds the engine wrote, reports each direct edit naming the row, and verifies again once undone', async () => {
    const clean = await verifyDeep(pg.url);
    expect(clean.out).toMatch(/deep check quantity holds \(.*\): ok/);
    expect(clean.out).toMatch(/tables agree with the audit trail/);
    expect(clean.code).toBe(0);
    const tampers = holdTampers(
      () => h.engine.db,
      () => flow,
    );
    for (const [what, tamper, undo, expected] of tampers) {
      await tamper();
      const r = await verifyDeep(pg.url);
      for (const e of expected()) expect(r.out, what).toMatch(e);
      expect(r.code, what).toBe(1);
      await undo();
      expect(await deepFindings(h.engine.db), `${what} undone`).toEqual([]);
    }
  });
});
