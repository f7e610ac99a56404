import { ARCHIVE_COLUMNS } from '../../domain/reading-archive-format.js';
import type { ReadingsTable } from '../schema.js';

type Column = keyof ReadingsTable;

/**
 * A reading's JSON as `JSON.stringify(view(row))` writes it, split into its literal text and the row's
 * columns: `parts[0]`, column 0's JSON, `parts[1]`, …, `parts[n]`; `names[i]` is column i's property in
 * the view. So a statement can write the view's JSON itself (`sqliteSensorPage`), with the view's own
 * names and order.
 */
export interface RowJsonTemplate {
  parts: string[];
  columns: Column[];
  names: string[];
}

const COLUMNS: readonly Column[] = ARCHIVE_COLUMNS;
const templates = new WeakMap<object, RowJsonTemplate | undefined>();
const SAMPLES: ReadingsTable[] = [
  {
    gateway_id: 'g',
    seq: 1,
    sensor_id: 's',
    location_id: 'l',
    ts: 2,
    temp_c: 1.5,
    rh: null,
    quality: 'q',
    received_at: 3,
  },
  {
    gateway_id: 'g',
    seq: 1,
    sensor_id: 's',
    location_id: 'l',
    ts: 2,
    temp_c: null,
    rh: 2.5,
    quality: 'q',
    received_at: 3,
  },
];
const fill = (t: RowJsonTemplate, r: ReadingsTable) =>
  t.columns.map((c, i) => t.parts[i] + JSON.stringify(r[c])).join('') + t.parts[t.columns.length];

/**
 * The template of `view`, or undefined when `view` is not a flat object of columns passed through as they
 * are (each at most once): then no statement can write its JSON. Made once per view.
 */
export function rowJsonTemplate(view: (r: ReadingsTable) => unknown): RowJsonTemplate | undefined {
  if (templates.has(view)) return templates.get(view);
  const marker = (c: Column) => `\u0001${c}\u0001`;
  const marked = view(Object.fromEntries(COLUMNS.map((c) => [c, marker(c)])) as unknown as ReadingsTable);
  let template: RowJsonTemplate | undefined;
  if (marked !== null && typeof marked === 'object' && !Array.isArray(marked)) {
    const entries = Object.entries(marked);
    const columns = entries.map(([, v]) => COLUMNS.find((c) => v === marker(c)));
    if (columns.every((c) => c !== undefined) && new Set(columns).size === columns.length) {
      const text = JSON.stringify(marked);
      const quoted = columns.map((c) => JSON.stringify(marker(c)));
      const parts: string[] = [];
      let at = 0;
      for (const q of quoted) {
        const i = text.indexOf(q, at);
        parts.push(text.slice(at, i));
        at = i + q.length;
      }
      parts.push(text.slice(at));
      const made = { parts, columns, names: entries.map(([k]) => k) };
      // And the view passes real values through as they are (a view writing `String(r.ts)` keeps the marker).
      if (SAMPLES.every((r) => fill(made, r) === JSON.stringify(view(r)))) template = made;
    }
  }
  templates.set(view, template);
  return template;
}
