import { CompiledQuery, type Expression, PostgresAdapter, type SqlBool, sql } from 'kysely';
import { pgArrayLiteral } from './ingest/pg-array-literal.js';

/**
 * Lists and rows sent to PostgreSQL as arrays, one parameter per column (docs/performance.md "Start to
 * ready: custody and audit rows as arrays"): a derive transaction of the start reads and writes up to 1,000
 * units per statement, and as one parameter per value those statements cost more of the cloud's CPU
 * (building, encoding and sending thousands of parameters) and of the server's (parsing them) than the rows
 * themselves. SQLite has no arrays: its callers keep their lists and multi-row inserts.
 */

/** What `onPostgres` asks of a Kysely instance or transaction. */
interface ExecutorOwner {
  getExecutor(): { readonly adapter: unknown };
}

/** Whether statements of this Kysely instance or transaction go to PostgreSQL. */
export const onPostgres = (db: ExecutorOwner): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

/** Element types of the arrays sent (the columns' own types, so each value is cast as the column stores it). */
export type PgElementType = 'text' | 'bigint';

/** `column = any($1::type[])`: membership in a list of any length as one parameter (PostgreSQL). */
export const pgAnyOf = (
  column: string,
  type: PgElementType,
  values: readonly unknown[],
): Expression<SqlBool> =>
  sql<SqlBool>`${sql.ref(column)} = any(${pgArrayLiteral(values)}::${sql.raw(type)}[])`;

/**
 * `INSERT INTO table (columns) SELECT * FROM unnest($1::type[], …)`: the rows as one array per column,
 * as many rows as given in one statement of as many parameters as columns (PostgreSQL). Each row holds
 * every column (`null` for SQL NULL).
 */
export function pgUnnestRows<R extends object>(
  table: string,
  columns: ReadonlyArray<readonly [keyof R & string, PgElementType]>,
  rows: readonly R[],
): CompiledQuery {
  const names = columns.map(([c]) => c).join(', ');
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  return CompiledQuery.raw(
    `insert into ${table} (${names}) select * from unnest(${arrays})`,
    columns.map(([c]) => pgArrayLiteral(rows.map((r) => r[c]))),
  );
}
