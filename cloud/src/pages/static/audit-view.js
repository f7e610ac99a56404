import { fmtLocalTime, h, table } from './ui.js';

const HEADERS = ['#', 'Time', 'User', 'Action', 'Entry', 'Reason'];

/** The stored record as JSON, for who needs the exact values (folded by default). */
function raw(e) {
  const record = {
    entityType: e.entityType,
    entityId: e.entityId,
    before: e.before,
    after: e.after,
    hash: e.hash,
  };
  return h(
    'details',
    { class: 'raw' },
    h('summary', {}, 'Raw record'),
    h('pre', { class: 'mono small' }, JSON.stringify(record, null, 2)),
  );
}

/**
 * One audit entry (GET /api/v1/audit) as a table row: the API's plain-language `summary`, the changed
 * fields before → after, the printed name of who acted, the time in the reader's zone; the action code
 * and the raw record stay available. `data-label` names each cell for the card layout of narrow screens.
 */
export function auditRow(e) {
  const who = e.actorName ?? e.actor;
  const changes = e.changes ?? [];
  return h(
    'tr',
    { 'data-seq': e.seq },
    h('td', { 'data-label': '#' }, String(e.seq)),
    h('td', { 'data-label': 'Time', title: new Date(e.at).toISOString() }, fmtLocalTime(e.at)),
    h(
      'td',
      { 'data-label': 'User' },
      who,
      who !== e.actor ? h('span', { class: 'muted small' }, ` (${e.actor})`) : null,
    ),
    h(
      'td',
      { class: 'audit-action mono small', 'data-label': 'Action' },
      // A line may break after each dot (<wbr> adds no text: the cell's text stays the action code).
      e.action.split('.').flatMap((part, i) => (i ? [h('wbr'), `.${part}`] : [part])),
    ),
    h(
      'td',
      { class: 'audit-entry', 'data-label': 'Entry' },
      h('div', { class: 'audit-summary' }, e.summary ?? `${e.entityType} ${e.entityId}`),
      changes.length
        ? h(
            'ul',
            { class: 'changes' },
            changes.map((c) =>
              h(
                'li',
                {},
                h('span', { class: 'field' }, c.field),
                ': ',
                c.before === '—' ? c.after : [h('del', {}, c.before), ' → ', h('ins', {}, c.after)],
              ),
            ),
          )
        : null,
      raw(e),
    ),
    h('td', { 'data-label': 'Reason' }, e.reason ?? ''),
  );
}

/** Audit entries as a table (class `audit`): a card per entry on narrow screens (app.css). */
export function auditTable(entries, attrs = {}) {
  return table(HEADERS, entries.map(auditRow), { ...attrs, class: `audit ${attrs.class ?? ''}`.trim() });
}
