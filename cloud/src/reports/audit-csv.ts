import { type AuditExport, auditExportFacts, changesText } from './audit-export.js';

const COLUMNS = [
  'record',
  'seq',
  'time_utc',
  'actor',
  'actor_name',
  'action',
  'entity_type',
  'entity_id',
  'subject',
  'summary',
  'changes',
  'reason',
  'hash',
] as const;

/**
 * A cell per RFC 4180 (always quoted, `"` doubled). A text starting with = + - @ (or tab / CR) is
 * prefixed with `'` so a spreadsheet shows it instead of evaluating it (OWASP "CSV Injection").
 */
export function csvCell(v: string | number): string {
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

/**
 * The audit export as CSV (RFC 4180: CRLF line ends, a header row, the same fields on every row).
 * `record` tells the rows apart: `meta` rows state the export (range, filters, chain head, verification;
 * label in `subject`, text in `summary`), then one `entry` row per audit entry, oldest first.
 */
export function renderAuditCsv(x: AuditExport): string {
  const row = (values: Partial<Record<(typeof COLUMNS)[number], string | number>>) =>
    COLUMNS.map((c) => csvCell(values[c] ?? '')).join(',');
  const lines = [COLUMNS.map((c) => csvCell(c)).join(',')];
  for (const [label, text] of auditExportFacts(x))
    lines.push(row({ record: 'meta', subject: label, summary: text }));
  for (const e of x.entries)
    lines.push(
      row({
        record: 'entry',
        seq: e.seq,
        time_utc: new Date(e.at).toISOString(),
        actor: e.actor,
        actor_name: e.actorName,
        action: e.action,
        entity_type: e.entityType,
        entity_id: e.entityId,
        subject: e.subject,
        summary: e.summary,
        changes: changesText(e.changes),
        reason: e.reason,
        hash: e.hash,
      }),
    );
  return `${lines.join('\r\n')}\r\n`;
}
