import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedDatabase } from '../../../src/store/db.js';
import type { KeyValues } from '../../../src/store/queries/keyset.js';
import { pageDeadLetters } from '../../../src/store/queries/list-dead-letters.js';
import { pageExcursions } from '../../../src/store/queries/list-excursions.js';
import { pageLocks } from '../../../src/store/queries/list-locks.js';
import { pageLots } from '../../../src/store/queries/list-lots.js';
import { pageQuantityHolds } from '../../../src/store/queries/list-quantity-holds.js';
import { pageRuleAlarms } from '../../../src/store/queries/list-rule-alarms.js';
import type { Database } from '../../../src/store/schema.js';
import { listRows } from '../../helpers/list-rows.js';

type Page = { items: unknown[]; next: KeyValues | null };

/** A paged list: how to add a row whose leading sort key is `k` (small, so keys tie), and read a page. */
interface PagedList {
  name: string;
  insert(db: Kysely<Database>, id: string, k: number): Promise<void>;
  page(db: Kysely<Database>, after: KeyValues | undefined, limit: number): Promise<Page>;
  /** The row's id as given to `insert`. */
  idOf(item: unknown): string;
  /** Compares two rows in the list's order. */
  cmp(a: unknown, b: unknown): number;
}

const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
type R = Record<string, unknown>;
const num = (r: unknown, k: string) => Number((r as R)[k]);
const str = (r: unknown, k: string) => String((r as R)[k]);

export const LISTS: PagedList[] = [
  {
    name: 'excursions (start_ts, id)',
    insert: (db, id, k) =>
      listRows(db)
        .excursion(id, 'loc-a', k, null)
        .then(() => undefined),
    page: (db, after, limit) => pageExcursions(db, { after, limit }),
    idOf: (r) => str(r, 'id'),
    cmp: (a, b) => num(a, 'start_ts') - num(b, 'start_ts') || cmpStr(str(a, 'id'), str(b, 'id')),
  },
  {
    name: 'lots (id)',
    // The key first, so that ids order by key, then by insertion.
    insert: (db, id, k) => listRows(db).lot(`${k}-${id}`, '80614141123458', 0),
    page: (db, after, limit) => pageLots(db, { after, limit }),
    idOf: (r) => str(r, 'id').replace(/^\d+-/, ''),
    cmp: (a, b) => cmpStr(str(a, 'id'), str(b, 'id')),
  },
  {
    name: 'locks (created_at, epc, cause, rule_key)',
    insert: (db, id, k) =>
      listRows(db)
        .lock(`E${k % 2}`, id, 'active', 'excursion', k)
        .then(() => undefined),
    page: (db, after, limit) => pageLocks(db, { after, limit }),
    idOf: (r) => str(r, 'rule_key'),
    cmp: (a, b) =>
      num(a, 'created_at') - num(b, 'created_at') ||
      cmpStr(str(a, 'epc'), str(b, 'epc')) ||
      cmpStr(str(a, 'cause'), str(b, 'cause')) ||
      cmpStr(str(a, 'rule_key'), str(b, 'rule_key')),
  },
  {
    name: 'dead letters (id desc)',
    insert: (db, id) =>
      db
        .insertInto('dead_letters')
        .values({
          received_at: 0,
          topic: 't',
          gateway_id: 'gw-1',
          client_id: null,
          code: 'malformed_json',
          reason: id,
          payload: 'x',
          payload_bytes: 1,
        })
        .execute()
        .then(() => undefined),
    page: (db, after, limit) => pageDeadLetters(db, { after, limit, previewChars: 10 }),
    idOf: (r) => str(r, 'reason'),
    cmp: (a, b) => num(b, 'id') - num(a, 'id'),
  },
  {
    name: 'rule alarms (from_ts desc, id)',
    insert: (db, id, k) =>
      db
        .insertInto('rule_alarms')
        .values({
          id,
          rule: 'rate_of_change',
          location_id: 'loc-a',
          from_ts: k,
          to_ts: k + 1,
          detail_json: '{}',
          created_at: 0,
          updated_at: 0,
        })
        .execute()
        .then(() => undefined),
    page: (db, after, limit) => pageRuleAlarms(db, { after, limit }),
    idOf: (r) => str(r, 'id'),
    cmp: (a, b) => num(b, 'from_ts') - num(a, 'from_ts') || cmpStr(str(a, 'id'), str(b, 'id')),
  },
  {
    name: 'quantity holds (created_at, lot, location, excursion)',
    insert: (db, id, k) =>
      db
        .insertInto('quantity_holds')
        .values({
          lot_id: `LOT-${k % 2}`,
          location_id: 'loc-a',
          excursion_id: id,
          units: 1,
          exposed_from: 0,
          exposed_to: null,
          state: 'active',
          disposition_id: null,
          reason: 'r',
          decided_version: null,
          decided_units: null,
          created_at: k,
          updated_at: k,
        })
        .execute()
        .then(() => undefined),
    page: (db, after, limit) => pageQuantityHolds(db, { after, limit }),
    idOf: (r) => str(r, 'excursion_id'),
    cmp: (a, b) =>
      num(a, 'created_at') - num(b, 'created_at') ||
      cmpStr(str(a, 'lot_id'), str(b, 'lot_id')) ||
      cmpStr(str(a, 'location_id'), str(b, 'location_id')) ||
      cmpStr(str(a, 'excursion_id'), str(b, 'excursion_id')),
  },
];

const TABLES = ['excursions', 'lots', 'locks', 'dead_letters', 'rule_alarms', 'quantity_holds'] as const;

/**
 * Keyset paging of every list while rows are inserted between pages (before and after the position
 * reached, with tied sort keys): each row present when paging started is returned exactly once, no row
 * twice, and the rows come in the list's order. `open()` gives a migrated, empty store.
 */
export function listPagingSuite(name: string, open: () => Promise<OpenedDatabase>, runs: number) {
  describe(`list paging under concurrent inserts (${name})`, () => {
    let opened: OpenedDatabase;
    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => opened?.close());

    for (const list of LISTS)
      it(list.name, async () => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 40, size: 'max' }),
            fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }), { maxLength: 20 }),
            fc.integer({ min: 1, max: 7 }),
            async (initial, insertsBetweenPages, limit) => {
              const db = opened.db;
              for (const t of TABLES) await db.deleteFrom(t).execute();
              run++;
              const initialIds = initial.map((_, i) => `r${run}-a${i}`);
              for (const [i, k] of initial.entries()) await list.insert(db, initialIds[i]!, k);
              const seen: unknown[] = [];
              let after: KeyValues | undefined;
              for (let p = 0; ; p++) {
                const page = await list.page(db, after, limit);
                expect(page.items.length).toBeLessThanOrEqual(limit);
                seen.push(...page.items);
                if (page.next === null) break;
                expect(page.items).toHaveLength(limit);
                after = page.next;
                for (const [j, k] of (insertsBetweenPages[p] ?? []).entries())
                  await list.insert(db, `r${run}-p${p}-${j}`, k);
                if (p > 200) throw new Error('paging does not end');
              }
              const ids = seen.map(list.idOf);
              expect(new Set(ids).size, 'no row twice').toBe(ids.length);
              for (const id of initialIds) expect(ids, 'every row present at the start').toContain(id);
              for (let i = 1; i < seen.length; i++) expect(list.cmp(seen[i - 1], seen[i])).toBeLessThan(0);
            },
          ),
          { numRuns: runs },
        );
      });
  });
}
