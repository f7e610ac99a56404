import type SqliteDatabase from 'better-sqlite3';

/** SQLite's `EXPLAIN QUERY PLAN` of a compiled Kysely query, its detail lines joined by newlines. */
export function sqlitePlan(
  sqlite: SqliteDatabase.Database,
  q: { compile(): { sql: string; parameters: readonly unknown[] } },
): string {
  const c = q.compile();
  const rows = sqlite.prepare(`EXPLAIN QUERY PLAN ${c.sql}`).all(...(c.parameters as unknown[])) as Array<{
    detail: string;
  }>;
  return rows.map((r) => r.detail).join('\n');
}
