import { type RawBuilder, type SqlBool, sql } from 'kysely';

/** One column of a list's order; the columns together are unique (the last is part of a key). */
export interface KeyColumn {
  column: string;
  desc?: boolean;
}

/** A page's position: the values of the order's columns in its last row. */
export type KeyValues = ReadonlyArray<string | number>;

/**
 * Rows strictly after `after` in the order `keys` (keyset paging): `a > x or (a = x and (b > y or …))`,
 * `<` for descending columns. Built as nested comparisons rather than a row value so that each column may
 * have its own direction and both SQLite and PostgreSQL can use an index on the leading column.
 */
export function keysetAfter(keys: readonly KeyColumn[], after: KeyValues): RawBuilder<SqlBool> {
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
