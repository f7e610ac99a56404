import { fmtTime, h, table } from './ui.js';

function text(v) {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** One audit entry (GET /api/v1/audit) as a table row. */
export function auditRow(e) {
  return h(
    'tr',
    { 'data-seq': e.seq },
    h('td', {}, String(e.seq)),
    h('td', {}, fmtTime(e.at)),
    h('td', {}, text(e.actor)),
    h('td', { class: 'audit-action' }, text(e.action)),
    h('td', {}, [e.entityType, e.entityId].filter(Boolean).join(' ')),
    h(
      'td',
      { class: 'mono small change' },
      e.before !== null || e.after !== null ? `${text(e.before)} → ${text(e.after)}` : '',
    ),
    h('td', {}, text(e.reason)),
  );
}

/** Audit entries as a table: seq, time, actor, action, subject, before → after, reason. */
export function auditTable(entries, attrs = {}) {
  return table(['#', 'Time', 'Actor', 'Action', 'Subject', 'Change', 'Reason'], entries.map(auditRow), {
    class: 'audit',
    ...attrs,
  });
}
