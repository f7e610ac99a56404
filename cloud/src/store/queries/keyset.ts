import { type RawBuilder, type SqlBool, sql } from 'kysely';

/** One column of a list's order; the columns together are unique (the last is part of a key). */
export interface KeyColumn {
  column: string;
  desc?: boolean;
}

/** A page's position: the values of the order's columns in its last row. */
export type KeyValues = ReadonlyArray<string | number>;

/**
 * Rows strictly after `after` in the order `keys` (keyset paging). When every column runs the same way this
 * is a row-value comparison, `(a, b) > (x, y)`, which SQLite and PostgreSQL read as one range of an index on
 * those columns, in order (no sort of the rows after the cursor); with mixed directions it is
 * `a < x or (a = x and b > y …)`.
 */
export function keysetAfter(keys: readonly KeyColumn[], after: KeyValues): RawBuilder<SqlBool> {
  const desc = keys[0]?.desc === true;
  if (keys.length > 1 && keys.every((k) => (k.desc === true) === desc)) {
    const cols = sql.join(keys.map((k) => sql.ref(k.column)));
    const vals = sql.join(after.map((v) => sql`${v}`));
    return desc ? sql<SqlBool>`(${cols}) < (${vals})` : sql<SqlBool>`(${cols}) > (${vals})`;
  }
  const at = (i: number): RawBuilder<SqlBool> => {
    const k = keys[i]!;
    const col = sql.ref(k.column);
    const v = after[i];
    const beyond = k.desc ? sql<SqlBool>`${col} < ${v}` : sql<SqlBool>`${col} > ${v}`;
    if (i === keys.length - 1) return beyond;
    return sql<SqlBool>`(${beyond} or (${col} = ${v} and ${at(i + 1)}))`;
  };
  return at(0);
}

/** The first `limit` rows and the key of the last when more follow (rows are read with `limit + 1`). */
export function pageOf<R>(
  rows: R[],
  limit: number,
  key: (r: R) => KeyValues,
): { items: R[]; next: KeyValues | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > limit && last ? key(last) : null };
}
