/**
 * A PostgreSQL array literal (`{1,"a",NULL}`) of plain values, for an `unnest` statement's `$n::type[]`
 * parameters: the same text node-postgres writes for a JS array (every element quoted, `\` and `"`
 * escaped, null and undefined as NULL), without its per-element conversion. Ingest sends six such arrays
 * of 500 values per readings batch, and pg's conversion was ~7 % of an ingestor's CPU (docs/performance.md
 * "Scale-out ingest"). A number is written bare (its `toString`, which PostgreSQL's numeric input reads
 * alike quoted or not); a run of equal strings (a batch's sensor, location, quality) is escaped once.
 */
export function pgArrayLiteral(values: readonly unknown[]): string {
  let out = '{';
  let last: unknown;
  let lastText = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null || v === undefined) out += 'NULL';
    else if (typeof v === 'number') out += v.toString();
    else {
      if (v !== last) {
        last = v;
        lastText = quoted(String(v));
      }
      out += lastText;
    }
  }
  return `${out}}`;
}

const SPECIAL = /["\\]/;

const quoted = (s: string) => `"${SPECIAL.test(s) ? s.replace(/[\\"]/g, '\\$&') : s}"`;
