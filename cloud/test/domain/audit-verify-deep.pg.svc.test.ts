import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresUrl } from '../store/pg-fresh.js';
import { signedFlow, U2, verifyDeep } from './deep-verify-flow.js';
import { type Harness, openHarness } from './harness.js';

// The deep checks on PostgreSQL: its column types (int8 and numeric parsed to numbers, real floats) against the trail's JSON.
let h: Harness;
let pg: Awaited<ReturnType<typeof freshPostgresUrl>>;
beforeAll(async () => {
  pg = await freshPostgresUrl();
  h = await openHarness({ url: pg.url });
  await signedFlow(h);
});
afterAll(async () => {
  await h?.close();
  await pg?.drop();
});

describe('coldtrace audit verify --deep on PostgreSQL', () => {
  const db = () => h.store.db;
  const tampers: Array<[string, () => Promise<unknown>, () => Promise<unknown>, RegExp[]]> = [
    [
      'a reject flipped to release',
      async () => {
        await sql`UPDATE dispositions SET decision = 'release'`.execute(db());
        await sql`UPDATE locks SET state = 'released' WHERE disposition_id IS NOT NULL`.execute(db());
      },
      async () => {
        await sql`UPDATE dispositions SET decision = 'reject'`.execute(db());
        await sql`UPDATE locks SET state = 'rejected' WHERE disposition_id IS NOT NULL`.execute(db());
      },
      [
        /dispositions: dispositions row \S+: decision "release", but audit entry \d+ signed "reject"/,
        /manifests: locks row [0-9A-F]+\|\S+: state released, but disposition \S+ signed reject/,
        /locks: locks row [0-9A-F]+\|\S+: state released, but audit entry \d+ \(disposition\.reject\) left it rejected/,
      ],
    ],
    [
      'an unlocked unit',
      () => sql`UPDATE locks SET state = 'lifted' WHERE epc = ${U2}`.execute(db()),
      () => sql`UPDATE locks SET state = 'active' WHERE epc = ${U2}`.execute(db()),
      [/locks: locks row [0-9A-F]+\|\S+: state lifted, but audit entry \d+ \(lock\.created\) left it active/],
    ],
    [
      'a role granted by a direct edit',
      () => sql`UPDATE users SET roles = 'qa' WHERE username = 'victor'`.execute(db()),
      () => sql`UPDATE users SET roles = 'viewer' WHERE username = 'victor'`.execute(db()),
      [/users: users row \S+ \(victor\): roles "qa", but audit entry \d+ recorded "viewer"/],
    ],
    [
      "a location's limits edited directly",
      () => sql`UPDATE locations SET max_c = 30 WHERE id = 'truck-1'`.execute(db()),
      () => sql`UPDATE locations SET max_c = 8 WHERE id = 'truck-1'`.execute(db()),
      [/master data: locations row truck-1: max_c 30, but audit entry \d+ recorded 8/],
    ],
  ];

  it('verifies the untampered database, reports each direct edit naming the row, and verifies again once undone', async () => {
    const clean = await verifyDeep(pg.url);
    expect(clean.out).toMatch(/tables agree with the audit trail/);
    expect(clean.code).toBe(0);
    for (const [what, tamper, undo, expected] of tampers) {
      await tamper();
      const r = await verifyDeep(pg.url);
      for (const e of expected) expect(r.out, what).toMatch(e);
      expect(r.code, what).toBe(1);
      await undo();
      const again = await verifyDeep(pg.url);
      expect(again.out, `${what} undone`).toMatch(/tables agree with the audit trail/);
    }
  });
});
