import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/db.js';
import { excursionPageQuery } from '../../../src/store/queries/list-excursions.js';
import { lockPageQuery } from '../../../src/store/queries/list-locks.js';
import { listRows } from '../../helpers/list-rows.js';
import { sqlitePlan } from '../../helpers/sqlite-plan.js';

/**
 * The excursion and lock lists read a page along an index in the list's order (migration 0019), so a
 * page costs its rows, not a sort of the table (docs/architecture.md "Lists and paging").
 */
describe('list page plans (SQLite)', () => {
  it('excursions and locks: the order index is walked, no temp B-tree, with and without a cursor', async () => {
    const { db, sqlite, close } = await openDatabase(':memory:');
    try {
      const rows = listRows(db);
      for (let i = 0; i < 300; i++) {
        await rows.excursion(`x-${i}`, `loc-${i % 7}`, i * 1000, null);
        await rows.lock(`E${i % 50}`, `x-${i}`, i % 3 ? 'active' : 'released', 'excursion', i);
      }
      sqlite!.exec('ANALYZE');
      const plan = (q: Parameters<typeof sqlitePlan>[1]) => sqlitePlan(sqlite!, q);
      for (const q of [
        excursionPageQuery(db, { limit: 100 }),
        excursionPageQuery(db, { limit: 100, after: [5000, 'x-5'] }),
        excursionPageQuery(db, { limit: 100, order: 'desc', after: [5000, 'x-5'] }),
      ]) {
        const p = plan(q);
        expect(p).toMatch(/excursions_start/);
        expect(p).not.toMatch(/TEMP B-TREE/);
      }
      for (const q of [
        lockPageQuery(db, { limit: 100 }),
        lockPageQuery(db, { limit: 100, after: [10, 'E10', 'excursion', 'x-10'], state: 'active' }),
      ]) {
        const p = plan(q);
        expect(p).toMatch(/locks_created/);
        expect(p).not.toMatch(/TEMP B-TREE/);
      }
      // The check can fail: without the index the same page is sorted.
      sqlite!.exec('DROP INDEX excursions_start');
      expect(plan(excursionPageQuery(db, { limit: 100 }))).toMatch(/TEMP B-TREE/);
    } finally {
      await close();
    }
  });
});
