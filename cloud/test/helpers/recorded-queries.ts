import type { CompiledQuery, Kysely, KyselyPlugin } from 'kysely';

/**
 * `db` again, every query it runs recorded as compiled (subqueries are recorded on their own too: keep
 * those not inside another with `sentQueries`).
 */
export function recordedQueries<DB>(db: Kysely<DB>): { db: Kysely<DB>; queries: CompiledQuery[] } {
  const queries: CompiledQuery[] = [];
  const plugin: KyselyPlugin = {
    transformQuery(a) {
      queries.push(db.getExecutor().compileQuery(a.node, a.queryId));
      return a.node;
    },
    transformResult: async (a) => a.result,
  };
  return { db: db.withPlugin(plugin), queries };
}

/** The recorded queries that were sent, not compiled as part of another. */
export function sentQueries(queries: readonly CompiledQuery[]): CompiledQuery[] {
  return queries.filter((q) => !queries.some((o) => o !== q && o.sql.includes(`(${q.sql})`)));
}
