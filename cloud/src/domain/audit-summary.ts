import { decodeEpc, isDecodedEpc } from '@coldtrace/shared';

/**
 * Audit entries in plain language for a reviewer (21 CFR 11.10(b): records in human readable form;
 * EU GMP Annex 11 §9: who changed what, before and after, why). One implementation used by the API
 * (`summary`, `changes` on GET /api/v1/audit, hence the audit page), the CSV and the PDF export.
 * Pure: names of locations, users, lots… come from a lookup the caller provides.
 */

/** An audit entry as the API shows it (before/after already parsed from their JSON). */
export interface AuditEntryData {
  seq: number;
  at: number;
  actor: string;
  action: string;
  entityType: string;
  entityId: string;
  before: unknown;
  after: unknown;
  reason: string;
}

/** Things an entry can name by id. `user` is looked up by username (the audit actor) or id. */
export type NameKind = 'location' | 'sensor' | 'gateway' | 'lot' | 'product' | 'user' | 'portal';

/** A display name for an id, or undefined when unknown (the id is shown then). */
export type NameLookup = (kind: NameKind, id: string) => string | undefined;

export interface AuditChange {
  field: string;
  /** '—' when the field did not exist before (a creation). */
  before: string;
  after: string;
}

export interface AuditDescription {
  /** One line, e.g. `Location Room 1 updated: max 8 °C → 10 °C`. */
  summary: string;
  /** What the entry is about, e.g. `Location Room 1`. */
  subject: string;
  /** The actor's printed name, or the actor as recorded (`system`, `api`, a gateway). */
  actorName: string;
  changes: AuditChange[];
}

const TYPE_LABEL: Record<string, string> = {
  api_token: 'API token',
  'cumulative-rule': 'Cumulative rule',
  dead_letter: 'Rejected message',
  epc: 'Unit',
  hibc_link: 'HIBC link',
  monitoring_gap: 'Monitoring gap',
  'rule-alarm': 'Rule alarm',
  rule_alarm: 'Rule alarm',
  security: 'Security event',
};

/** Entity types whose id names one of the looked-up kinds. */
const TYPE_KIND: Record<string, NameKind> = {
  location: 'location',
  sensor: 'sensor',
  gateway: 'gateway',
  lot: 'lot',
  product: 'product',
  user: 'user',
  portal: 'portal',
};

/** Fields whose value is the id of a named thing (camelCase or snake_case). */
const FIELD_KIND: Record<string, NameKind> = {
  locationid: 'location',
  location: 'location',
  fromlocation: 'location',
  tolocation: 'location',
  sensorid: 'sensor',
  gatewayid: 'gateway',
  lotid: 'lot',
  gtin: 'product',
  userid: 'user',
  signerid: 'user',
};

/** Fields whose value is an excursion id (`<location>@<ISO start>`). */
const EXCURSION_FIELDS = new Set(['excursionid', 'mergedinto', 'into']);

/** Bookkeeping fields that change with every edit: shown only when nothing else changed. */
const NOISE = new Set(['updatedat', 'createdat', 'version']);

const MAX_CHANGES = 12;
const MAX_IN_SUMMARY = 3;

export function describeAuditEntry(e: AuditEntryData, names: NameLookup): AuditDescription {
  const subject = subjectOf(e, names);
  const actorName = names('user', e.actor) ?? e.actor;
  if (e.action.startsWith('disposition.')) return disposition(e, names, actorName);
  const changes = diff(e, names);
  const verb = humanize(e.action.slice(e.action.lastIndexOf('.') + 1));
  const created = e.before === null || e.before === undefined;
  // The signature is stated once as "signed by", not field by field (21 CFR 11.50 printed name).
  const inSummary = changes.filter((c) => !c.field.startsWith('signature '));
  const shown = inSummary
    .slice(0, MAX_IN_SUMMARY)
    .map((c) =>
      created || c.before === '—' ? `${c.field} ${c.after}` : `${c.field} ${c.before} → ${c.after}`,
    );
  const more = inSummary.length > MAX_IN_SUMMARY ? `, … (${inSummary.length - MAX_IN_SUMMARY} more)` : '';
  const signer = record(record(e.after).signature).printedName;
  const signed = typeof signer === 'string' ? `; signed by ${signer}` : '';
  return {
    summary: `${subject} ${verb}${shown.length ? `: ${shown.join(', ')}${more}` : ''}${signed}`,
    subject,
    actorName,
    changes: changes.slice(0, MAX_CHANGES),
  };
}

/** `Disposition of lot LOT-B (Insulin pens): reject, signed by Quinn QA`; units locked → rejected. */
function disposition(e: AuditEntryData, names: NameLookup, actorName: string): AuditDescription {
  const after = record(e.after);
  const before = record(e.before);
  const lotId = typeof after.lotId === 'string' ? after.lotId : undefined;
  const epc = typeof after.epc === 'string' ? after.epc : undefined;
  const what = lotId ? `lot ${named('lot', lotId, names)}` : epc ? `unit ${unitName(epc)}` : e.entityId;
  const signature = record(after.signature);
  const signer = typeof signature.printedName === 'string' ? signature.printedName : actorName;
  const decision = humanize(e.action.slice('disposition.'.length));
  const locks = Array.isArray(before.locks) ? before.locks.map(record) : [];
  const changes: AuditChange[] = [];
  if (locks.length) {
    changes.push({
      field: 'units',
      before: countBy(locks.map((l) => String(l.state ?? '?'))),
      after: `${locks.length} ${String(after.state ?? decision)}`,
    });
  }
  if (signature.meaning !== undefined)
    changes.push({ field: 'signature meaning', before: '—', after: String(signature.meaning) });
  return {
    summary: `Disposition of ${what}: ${decision}, signed by ${signer}${
      changes[0] ? `; units ${changes[0].before} → ${changes[0].after}` : ''
    }`,
    subject: `${TYPE_LABEL[e.entityType] ?? humanize(e.entityType, true)} ${subjectName(e, names)}`,
    actorName,
    changes,
  };
}

function subjectOf(e: AuditEntryData, names: NameLookup): string {
  const label = TYPE_LABEL[e.entityType] ?? humanize(e.entityType, true);
  return `${label} ${subjectName(e, names)}`;
}

function subjectName(e: AuditEntryData, names: NameLookup): string {
  const kind = TYPE_KIND[e.entityType];
  if (kind) return names(kind, e.entityId) ?? e.entityId;
  if (e.entityType === 'epc') return unitName(e.entityId);
  if (e.entityType === 'excursion' || e.entityType === 'rule-alarm' || e.entityType === 'cumulative-rule')
    return excursionName(e.entityId, names);
  if (e.entityType === 'lock') {
    // A lock is `<epc>|<excursion id>` (domain/locks): the unit, and the excursion that holds it.
    const bar = e.entityId.indexOf('|');
    if (bar > 0)
      return `on unit ${unitName(e.entityId.slice(0, bar))} for excursion ${excursionName(e.entityId.slice(bar + 1), names)}`;
  }
  return e.entityId;
}

/** A unit as people name it: the GTIN and serial of its SGTIN (TDS 2.x), else its EPC as recorded. */
function unitName(epc: string): string {
  const d = decodeEpc(epc);
  return isDecodedEpc(d) && d.gtin !== undefined && d.serial !== undefined
    ? `GTIN ${d.gtin} serial ${d.serial}`
    : epc;
}

/** An excursion id is `<location id>@<ISO start>`: `at Reefer 7 from 2026-03-10 08:55 UTC`. */
function excursionName(id: string, names: NameLookup): string {
  const at = id.lastIndexOf('@');
  const start = at > 0 ? Date.parse(id.slice(at + 1)) : Number.NaN;
  if (Number.isNaN(start)) return id;
  return `at ${named('location', id.slice(0, at), names, false)} from ${fmtUtc(start)}`;
}

function named(kind: NameKind, id: string, names: NameLookup, withId = true): string {
  const name = names(kind, id);
  if (!name || name === id) return id;
  // A name that already shows the id (lots: `LOT-B (Vaccine, lot no. …)`) is used as it is.
  // A user's name already shows the username.
  return withId && kind !== 'user' && !name.includes(id) ? `${id} (${name})` : name;
}

/** Fields a reader looks for first when something is created (the rest follow in stored order). */
const FIRST = ['name', 'printedname', 'kind', 'state', 'minc', 'maxc', 'roles'];

/** Before/after as field changes: nested objects one level deep as `parent field`. */
function diff(e: AuditEntryData, names: NameLookup): AuditChange[] {
  const b = flatten(e.before);
  const a = flatten(e.after);
  const created = b.size === 0;
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  const changed = keys.filter((k) => canonical(a.get(k)) !== canonical(b.get(k)));
  const meaningful = changed.filter((k) => !NOISE.has(lastKey(k)));
  // Before/after that are not objects (a list, a value) are named after the action's family (`custody`).
  const label = (k: string) => (k === 'value' ? humanize(e.action.split('.')[0] ?? k) : fieldLabel(k));
  const out = (meaningful.length ? meaningful : changed).map((k) => ({
    key: k,
    nested: k.includes('.'),
    field: label(k),
    before: b.has(k) ? lockWord(e, k, fmtValue(k, b.get(k), names)) : '—',
    after: a.has(k) ? lockWord(e, k, fmtValue(k, a.get(k), names)) : '—',
  }));
  // A field that only appears, empty, says nothing (nor a created record's own id); the same change twice
  // (`maxC` and `limits.maxC`) is shown once, by its shorter name. Then: changed fields, added fields,
  // nested ones; in a creation the fields a reader looks for first.
  const kept = out.filter(
    (c) =>
      !(c.before === '—' && (c.after === 'none' || c.after === '—')) &&
      !(created && c.key === 'id' && a.get(c.key) === e.entityId) &&
      !out.some(
        (o) => o !== c && c.field.endsWith(` ${o.field}`) && o.before === c.before && o.after === c.after,
      ),
  );
  const first = (c: (typeof kept)[number]) => {
    const i = FIRST.indexOf(lastKey(c.key));
    return created && !c.nested && i >= 0 ? i - FIRST.length : 0;
  };
  const rank = (c: (typeof kept)[number]) =>
    (c.before === '—' && !created ? 2 : 0) + (c.nested ? 1 : 0) + first(c);
  return kept
    .map((c, i) => ({ c, i }))
    .sort((x, y) => rank(x.c) - rank(y.c) || x.i - y.i)
    .map(({ c }) => ({ field: c.field, before: c.before, after: c.after }));
}

/** A lock in force is stored as `active`; a reviewer calls it locked (as the pages do). */
function lockWord(e: AuditEntryData, path: string, text: string): string {
  return e.entityType === 'lock' && lastKey(path) === 'state' && text === 'active' ? 'locked' : text;
}

function flatten(v: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (v === null || v === undefined) return out;
  if (typeof v !== 'object' || Array.isArray(v)) {
    out.set('value', v);
    return out;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x !== null && typeof x === 'object' && !Array.isArray(x))
      for (const [k2, y] of Object.entries(x as Record<string, unknown>)) out.set(`${k}.${k2}`, y);
    else out.set(k, x);
  }
  return out;
}

function lastKey(path: string): string {
  return path
    .slice(path.lastIndexOf('.') + 1)
    .replace(/_/g, '')
    .toLowerCase();
}

/** `max_c` / `maxC` → `max`; `alarmDelayMs` → `alarm delay`; `locationId` → `location`; `signature.printedName` → `signature printed name`. */
export function fieldLabel(path: string): string {
  return path
    .split('.')
    .map((p) =>
      humanize(
        p
          .replace(/(_c|C)$/, '')
          .replace(/(_ms|Ms)$/, '')
          .replace(/(.)(_id|Id)$/, '$1')
          .replace(/(_json|Json)$/, ''),
      ),
    )
    .join(' ');
}

function unitOf(path: string): 'c' | 'ms' | 'time' | null {
  const k = path.slice(path.lastIndexOf('.') + 1);
  if (/(_c|[a-z]C)$/.test(k) || k === 'c') return 'c';
  if (/(_ms|Ms)$/.test(k)) return 'ms';
  if (
    /(_at|At|_ts|Ts|_from|From|_until|Until)$/.test(k) ||
    ['at', 'ts', 'from', 'to', 'start', 'end'].includes(k)
  )
    return 'time';
  return null;
}

function fmtValue(path: string, v: unknown, names: NameLookup): string {
  if (v === null || v === undefined) return '—';
  const unit = unitOf(path);
  if (typeof v === 'number') {
    if (unit === 'time' && v > 1e11) return fmtUtc(v);
    v = Math.round(v * 100) / 100; // computed values (degree-minutes) without float noise
    if (unit === 'c') return `${v} °C`;
    if (unit === 'ms') return fmtDuration(v as number);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') {
    if (EXCURSION_FIELDS.has(lastKey(path))) return excursionName(v, names);
    const kind = FIELD_KIND[lastKey(path)];
    return kind ? named(kind, v, names) : v;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return 'none';
    if (v.length <= 3 && v.every((x) => typeof x !== 'object' || x === null)) return v.join(', ');
    if (v.length <= 3) return v.map((x) => `(${fmtValue(path, x, names)})`).join(' ');
    return `${v.length} entries`;
  }
  // A small object (a custody interval, a rule): its fields, formatted like fields of the entry.
  return Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== null && x !== undefined)
    .map(([k, x]) => `${fieldLabel(k)} ${fmtValue(k, x, names)}`)
    .join(', ');
}

function canonical(v: unknown): string {
  if (v === undefined) return '';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

/** `reviewState` / `review_state` / `review_reopened` → `review state` (or `Review state`). */
export function humanize(s: string, capital = false): string {
  const words = s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return capital ? words.charAt(0).toUpperCase() + words.slice(1) : words;
}

function record(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** `3 locked, 1 released` */
function countBy(states: string[]): string {
  const n = new Map<string, number>();
  // A lock in force is stored as `active`: a reviewer calls those units locked (lockWord).
  for (const s0 of states) {
    const s = s0 === 'active' ? 'locked' : s0;
    n.set(s, (n.get(s) ?? 0) + 1);
  }
  return [...n].map(([s, c]) => `${c} ${s}`).join(', ');
}

/** `2026-03-10 08:55 UTC`, `2026-03-10 08:55:30 UTC` (values inside an entry; the entry's own time is shown in the reader's zone). */
export function fmtUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  // Seconds only when there are any: a change of seconds must not read as "08:29 → 08:29".
  return `${iso.slice(0, ms % 60_000 === 0 ? 16 : 19).replace('T', ' ')} UTC`;
}

/** `2 h 5 min`, `30 s` */
export function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const parts: string[] = [];
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) parts.push(`${d} d`);
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  if (s % 60 || !parts.length) parts.push(`${s % 60} s`);
  return parts.join(' ');
}
