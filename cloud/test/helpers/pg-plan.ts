import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/store/schema.js';

/**
 * PostgreSQL's `EXPLAIN` of a compiled Kysely query, its lines joined by newlines: the parameters inlined as
 * literals, so the planner sees the values (as a custom plan would) rather than a generic plan.
 */
export async function pgPlan(
  db: Kysely<Database>,
  q: { compile(): { sql: string; parameters: readonly unknown[] } },
): Promise<string> {
  const c = q.compile();
  const text = c.sql.replace(/\$(\d+)/g, (_, n) => literal(c.parameters[Number(n) - 1]));
  const r = await sql<{ 'QUERY PLAN': string }>`EXPLAIN ${sql.raw(text)}`.execute(db);
  return r.rows.map((x) => x['QUERY PLAN']).join('\n');
}

function literal(v: unknown): string {
  if (typeof v === 'number') return String(v);
  return `'${String(v).replace(/'/g, "''")}'`;
}
