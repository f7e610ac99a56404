import type { Kysely } from 'kysely';
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
      db
        .selectFrom('custody')
        .selectAll()
        .where('epc', 'in', chunk)
        .orderBy('epc')
        .orderBy('entered_at')
        .execute(),
      db
        .selectFrom('locks')
        .selectAll()
        .where('epc', 'in', chunk)
        .orderBy('epc')
        .orderBy('created_at')
        .execute(),
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
