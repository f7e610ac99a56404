import type { Kysely } from 'kysely';
import { onPostgres } from '../pg-arrays.js';
import type { Database, Row } from '../schema.js';

/** A commissioned unit of a lot with its custody intervals (entry order) and locks (creation order). */
export interface TracedUnit {
  epc: string;
  custody: Array<Row<'custody'>>;
  locks: Array<Row<'locks'>>;
}

/** One page of a lot's commissioned units (EPC order after `after`), each with its custody and locks. */
export async function lotTracePage(
  db: Kysely<Database>,
  lotId: string,
  q: { after?: string | undefined; limit: number },
): Promise<{ total: number; units: TracedUnit[]; more: boolean }> {
  const count = await db
    .selectFrom('epcs')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('lot_id', '=', lotId)
    .executeTakeFirst();
  let page = db.selectFrom('epcs').select('epc').where('lot_id', '=', lotId);
  if (q.after !== undefined) page = page.where('epc', '>', q.after);
  const epcRows = await page
    .orderBy('epc')
    .limit(q.limit + 1)
    .execute();
  const epcs = epcRows.slice(0, q.limit).map((r) => r.epc);
  const custody = new Map<string, Array<Row<'custody'>>>(epcs.map((e) => [e, []]));
  const locks = new Map<string, Array<Row<'locks'>>>(epcs.map((e) => [e, []]));
  for (let i = 0; i < epcs.length; i += 500) {
    const chunk = epcs.slice(i, i + 500);
    const [c, l] = await Promise.all([
      unitRows(db, 'custody', lotId, chunk),
      unitRows(db, 'locks', lotId, chunk),
    ]);
    for (const r of c) custody.get(r.epc)?.push(r);
    for (const r of l) locks.get(r.epc)?.push(r);
  }
  return {
    total: Number(count?.n ?? 0),
    units: epcs.map((epc) => ({ epc, custody: custody.get(epc)!, locks: locks.get(epc)! })),
    more: epcRows.length > q.limit,
  };
}

/**
 * The custody or lock rows of a chunk of a lot's units (consecutive in the lot's EPC order), by EPC and then
 * entry (custody's key) or creation time and key (locks made in one transaction share their time). On
 * PostgreSQL an `IN` list of 500 EPCs was planned as a scan of the whole table, with or without statistics:
 * every unit's rows, so the trace grew with QA's backlog of locks (docs/performance.md "Dashboard and trace
 * with QA's backlog"). A lateral read per unit of the chunk's EPC range is planned as one index probe per
 * unit either way (`backlog-reads.pg.svc.test.ts`). SQLite probes the primary key for each listed EPC.
 */
export function unitRowsQuery(
  db: Kysely<Database>,
  table: 'custody' | 'locks',
  lotId: string,
  chunk: readonly string[],
) {
  // One table's columns named as the other's, for the type checker only: both have `epc` and these.
  const t = table as 'locks';
  const ordered = <Q extends { orderBy(c: 'created_at'): Q }>(q: Q) =>
    table === 'custody'
      ? q.orderBy('entered_at' as 'created_at')
      : q
          .orderBy('created_at')
          .orderBy('cause' as 'created_at')
          .orderBy('rule_key' as 'created_at');
  if (!onPostgres(db)) return ordered(db.selectFrom(t).selectAll().where('epc', 'in', chunk).orderBy('epc'));
  // The lateral's own order keeps it a read per unit: flattened into a join, a range of 1,000 units with
  // statistics was planned as a hash join over every lock.
  return ordered(
    db
      .selectFrom('epcs')
      .innerJoinLateral(
        (eb) => ordered(eb.selectFrom(t).selectAll().whereRef('epc', '=', 'epcs.epc')).as('u'),
        (join) => join.onTrue(),
      )
      .selectAll('u')
      .where('epcs.lot_id', '=', lotId)
      .where('epcs.epc', '>=', chunk[0]!)
      .where('epcs.epc', '<=', chunk[chunk.length - 1]!)
      .orderBy('epcs.epc'),
  );
}

const unitRows = async <T extends 'custody' | 'locks'>(
  db: Kysely<Database>,
  table: T,
  lotId: string,
  chunk: readonly string[],
) => (await unitRowsQuery(db, table, lotId, chunk).execute()) as Array<Row<T>>;
