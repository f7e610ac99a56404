import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/db.js';
import { unitRowsQuery } from '../../../src/store/queries/lot-trace-page.js';
import { pgPlan } from '../../helpers/pg-plan.js';
import { openOnFreshPg } from '../pg-fresh.js';
import { backlogReadsSuite, seedBacklog } from './backlog-reads-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 (deploy/dev-services.sh). Closing drops the database.
const fresh = async () => {
  const { value, close } = await openOnFreshPg(openDatabase);
  return { ...value, close };
};

backlogReadsSuite('PostgreSQL', fresh, 1200);

describe('lot trace plan with a backlog of locks (PostgreSQL)', () => {
  it("reads a chunk's custody and locks by one primary-key probe per unit, with and without statistics", async () => {
    const { db, close } = await fresh();
    try {
      // 10 lots of 1,000 units; the odd lots' units hold 12 locks each (60,000 locks), as QA's backlog.
      await seedBacklog(db, 10, 1000, 12);
      const lot = (
        await db.selectFrom('epcs').select('epc').where('lot_id', '=', 'lot-3').orderBy('epc').execute()
      ).map((r) => r.epc);
      const chunk = lot.slice(0, 500);
      // Without statistics (no ANALYZE yet: the bench's server runs without autovacuum), then with them.
      for (const analyzed of [false, true]) {
        if (analyzed) await sql`ANALYZE`.execute(db);
        // A chunk of 500 as the trace sends, and the whole lot at once (flattened into a join, a range of
        // that many units was planned as a hash join over every lock).
        for (const units of [chunk, lot]) {
          const locks = await pgPlan(db, unitRowsQuery(db, 'locks', 'lot-3', units));
          expect(locks).toMatch(/Nested Loop/);
          expect(locks).toMatch(/Index Scan on locks_v2_pk|Index Scan using locks_v2_pk/);
          expect(locks).not.toMatch(/Seq Scan on locks|locks_state_v2|JIT/);
        }
        const custody = await pgPlan(db, unitRowsQuery(db, 'custody', 'lot-3', chunk));
        expect(custody).toMatch(/Index Scan on custody_pk|Index Scan using custody_pk/);
        expect(custody).not.toMatch(/Seq Scan on custody|JIT/);
        // The check can fail: the chunk as an IN list (the read before) scans every lock.
        const inList = await pgPlan(
          db,
          db.selectFrom('locks').selectAll().where('epc', 'in', chunk).orderBy('epc').orderBy('created_at'),
        );
        expect(inList).toMatch(/Seq Scan on locks/);
      }
    } finally {
      await close();
    }
  });
});
