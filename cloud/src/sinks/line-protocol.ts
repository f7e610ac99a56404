import { ColdtraceError } from '@coldtrace/shared';

/**
 * InfluxDB line protocol (InfluxDB 1.x "Line protocol reference"):
 * `measurement[,tag=value…] field=value[,…] [timestamp]`. Measurement names escape commas and spaces;
 * tag keys, tag values and field keys escape commas, equals signs and spaces with a backslash.
 * Newlines cannot be escaped anywhere, so they are rejected.
 */
export type FieldValue = number | { int: number } | string | boolean;

export interface Point {
  measurement: string;
  /** Empty or undefined values are left out (line protocol has no empty tag values). */
  tags: Record<string, string | undefined>;
  /** Undefined/null fields are left out; at least one field must remain. */
  fields: Record<string, FieldValue | null | undefined>;
  /** In the precision the write uses (ms here). */
  ts: number;
}

function noNewline(s: string, what: string): string {
  if (/[\r\n]/.test(s))
    throw new ColdtraceError('invalid', `${what} ${JSON.stringify(s)} contains a newline`);
  return s;
}

export function escapeMeasurement(s: string): string {
  if (!s) throw new ColdtraceError('invalid', 'measurement name must not be empty');
  return noNewline(s, 'measurement').replace(/[\\, ]/g, (c) => (c === '\\' ? '\\\\' : `\\${c}`));
}

/** Tag keys, tag values and field keys. */
export function escapeKey(s: string): string {
  return noNewline(s, 'tag/field').replace(/[, =]/g, (c) => `\\${c}`);
}

/** String field values: double quotes and backslashes are escaped. */
function escapeStringField(s: string): string {
  return `"${noNewline(s, 'string field').replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function fieldValue(key: string, v: FieldValue): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ColdtraceError('invalid', `field ${key} is not finite: ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return escapeStringField(v);
  if (!Number.isSafeInteger(v.int))
    throw new ColdtraceError('invalid', `field ${key} is not an integer: ${v.int}`);
  return `${v.int}i`;
}

/** One line, without the trailing newline. Tags are sorted by key (what InfluxDB recommends for speed). */
export function encodePoint(p: Point): string {
  if (!Number.isSafeInteger(p.ts))
    throw new ColdtraceError('invalid', `timestamp is not an integer: ${p.ts}`);
  let line = escapeMeasurement(p.measurement);
  for (const key of Object.keys(p.tags).sort()) {
    const v = p.tags[key];
    if (v === undefined || v === '') continue;
    line += `,${escapeKey(key)}=${escapeKey(v)}`;
  }
  const fields: string[] = [];
  for (const [key, v] of Object.entries(p.fields)) {
    if (v === undefined || v === null) continue;
    fields.push(`${escapeKey(key)}=${fieldValue(key, v)}`);
  }
  if (!fields.length) throw new ColdtraceError('invalid', 'a point needs at least one field');
  return `${line} ${fields.join(',')} ${p.ts}`;
}

export function encodePoints(points: readonly Point[]): string {
  return points.map(encodePoint).join('\n');
}
