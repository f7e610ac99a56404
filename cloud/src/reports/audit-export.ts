import type { AuditVerifyResult } from '../domain/audit-chain.js';
import type { AuditChange } from '../domain/audit-summary.js';
import { fmtTime } from './pdf-text.js';

/** One exported audit entry: as stored, plus its plain-language description (domain/audit-summary.ts). */
export interface ExportedAuditEntry {
  seq: number;
  at: number;
  actor: string;
  actorName: string;
  action: string;
  entityType: string;
  entityId: string;
  subject: string;
  summary: string;
  changes: AuditChange[];
  reason: string;
  hash: string;
}

/** What an export of the audit trail states besides its entries (docs/qa-pages.md "Audit exports"). */
export interface AuditExport {
  generatedAt: number;
  /** Printed name (username) of who asked for it. */
  generatedBy: string;
  version: string;
  /** The filters as given (name → value), empty when the whole trail is exported. */
  filters: Record<string, string>;
  entries: ExportedAuditEntry[];
  /** More entries matched than the export holds: it holds the oldest `entries.length`. */
  truncated: boolean;
  head: { seq: number; hash: string };
  verify: AuditVerifyResult;
}

/**
 * The statements every export carries, as (label, text) pairs: range (first/last seq and time), filters,
 * chain head and the result of verifying the whole chain (21 CFR 11.10(b), (e)).
 */
export function auditExportFacts(x: AuditExport): Array<[string, string]> {
  const first = x.entries[0];
  const last = x.entries.at(-1);
  const filters = Object.entries(x.filters);
  return [
    ['Generated', `${fmtTime(x.generatedAt)} by ${x.generatedBy} (coldtrace ${x.version})`],
    ['Filters', filters.length ? filters.map(([k, v]) => `${k} = ${v}`).join('; ') : 'none (whole trail)'],
    [
      'Entries',
      `${x.entries.length}${x.truncated ? ' (truncated: more entries match; narrow the filters or the date range)' : ''}`,
    ],
    [
      'Range',
      first && last
        ? `seq ${first.seq} to ${last.seq}, ${fmtTime(first.at)} to ${fmtTime(last.at)}`
        : 'no entries match',
    ],
    ['Chain head', `seq ${x.head.seq}, SHA-256 ${x.head.hash}`],
    [
      'Chain verification',
      x.verify.ok
        ? `verified: all ${x.verify.entries} entries link and match their hashes`
        : `FAILED at entry ${x.verify.firstBroken?.seq} (${x.verify.firstBroken?.problem}): ${x.verify.firstBroken?.detail}`,
    ],
  ];
}

/** `max 8 °C → 10 °C; min 2 °C → 3 °C` */
export function changesText(changes: readonly AuditChange[]): string {
  return changes
    .map((c) => (c.before === '—' ? `${c.field}: ${c.after}` : `${c.field}: ${c.before} → ${c.after}`))
    .join('; ');
}
