import { api, hasRole } from './api.js';
import { auditRow, auditTable } from './audit-view.js';
import { badge, errorBox, h, mount, runPage } from './ui.js';

/** Entries per page; `?limit=` in the URL (1…1000) overrides it. */
const DEFAULT_PAGE = 200;
/** The filters, as URL parameters of this page and of GET /api/v1/audit (docs/qa-pages.md "Audit trail"). */
const TEXT_FILTERS = ['entityType', 'entityId', 'actor', 'action'];

const params = new URLSearchParams(location.search);

function pageSize() {
  const n = Number(params.get('limit'));
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : DEFAULT_PAGE;
}

/** A `YYYY-MM-DD` of the date inputs as epoch ms of the reader's local midnight (next day's for `to`). */
function dayStart(value, nextDay = false) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value ?? '')) return undefined;
  const d = new Date(`${value}T00:00:00`);
  if (nextDay) d.setDate(d.getDate() + 1);
  return Number.isNaN(d.getTime()) ? undefined : d.getTime();
}

/** The API query of the filters in the URL: the dates of the form become an inclusive local day range. */
function apiFilters() {
  const q = new URLSearchParams();
  for (const k of TEXT_FILTERS) if (params.get(k)) q.set(k, params.get(k));
  const from = dayStart(params.get('from'));
  const to = dayStart(params.get('to'), true);
  if (from !== undefined) q.set('from', String(from));
  if (to !== undefined) q.set('to', String(to));
  return q;
}

function select(name, label, options) {
  const current = params.get(name) ?? '';
  return h(
    'label',
    {},
    `${label} `,
    h(
      'select',
      { name, id: `filter-${name}` },
      h('option', { value: '' }, 'all'),
      options.map(([value, text]) => h('option', { value, selected: value === current }, text)),
    ),
  );
}

function input(name, label, type, attrs = {}) {
  return h(
    'label',
    {},
    `${label} `,
    h('input', { name, id: `filter-${name}`, type, value: params.get(name) ?? '', ...attrs }),
  );
}

/** The filter form: a plain GET of this page, so the filters live in the URL (bookmark, share, back). */
function filterForm(facets) {
  const families = [...new Set(facets.actions.map((a) => a.split('.')[0]))].filter(
    (f) => !facets.actions.includes(f),
  );
  const actions = [...families.map((f) => [f, `${f}.* (all)`]), ...facets.actions.map((a) => [a, a])].sort(
    ([a], [b]) => a.localeCompare(b),
  );
  return h(
    'form',
    { class: 'filters audit-filters', method: 'get', action: '/audit', id: 'audit-filters' },
    select(
      'entityType',
      'Record type',
      facets.entityTypes.map((t) => [t, t]),
    ),
    input('entityId', 'Record id', 'text', { size: 16 }),
    select(
      'actor',
      'User',
      facets.actors.map((a) => [a.actor, a.name === a.actor ? a.actor : `${a.name} (${a.actor})`]),
    ),
    select('action', 'Action', actions),
    input('from', 'From', 'date'),
    input('to', 'To', 'date'),
    params.get('limit') ? h('input', { type: 'hidden', name: 'limit', value: params.get('limit') }) : null,
    h('button', { type: 'submit', id: 'filter-apply' }, 'Apply'),
    h('a', { href: '/audit', id: 'filter-clear' }, 'Clear'),
  );
}

function verifyControls() {
  const result = h('div', { id: 'verify-result' });
  const verify = h('button', { type: 'button', id: 'verify' }, 'Verify hash chain');
  verify.addEventListener('click', async () => {
    verify.disabled = true;
    result.replaceChildren(h('p', { class: 'muted' }, 'Verifying…'));
    try {
      const v = await api.get('/api/v1/audit/verify');
      result.replaceChildren(
        v.ok
          ? h('p', {}, badge('chain intact', 'ok'), ` all ${v.entries} entries verified`)
          : h(
              'p',
              { role: 'alert' },
              badge('chain broken', 'bad'),
              ` first broken entry #${v.firstBroken?.seq}: ${v.firstBroken?.problem} — ${v.firstBroken?.detail ?? ''}`,
            ),
      );
    } catch (err) {
      result.replaceChildren(errorBox(err));
    } finally {
      verify.disabled = false;
    }
  });
  return h('div', { class: 'row' }, verify, result);
}

runPage(async (user) => {
  const filters = apiFilters();
  const filtered = [...filters.keys()].length > 0;
  // Newest first, one page at a time: the next page is the entries before the oldest one shown.
  const limit = pageSize();
  const fetchPage = (beforeSeq) => {
    const q = new URLSearchParams(filters);
    q.set('order', 'desc');
    q.set('limit', String(limit));
    if (beforeSeq) q.set('beforeSeq', String(beforeSeq));
    return api.get(`/api/v1/audit?${q}`);
  };
  const [first, facets] = await Promise.all([fetchPage(), api.get('/api/v1/audit/facets')]);
  let shown = first.length;
  let oldest = first.at(-1)?.seq;
  const count = h('p', { class: 'muted', id: 'audit-count' });
  const more = h('button', { type: 'button', id: 'audit-more' }, 'Load older entries');
  const tbl = auditTable(first, { id: 'audit' });
  const showCount = (done) => {
    count.textContent = `${shown} ${shown === 1 ? 'entry' : 'entries'} shown, newest first${
      filtered ? ', filtered' : ''
    }${done ? ' (all)' : ''}.`;
    more.hidden = done;
  };
  showCount(first.length < limit);
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const page = await fetchPage(oldest);
      tbl.tBodies[0].append(...page.map(auditRow));
      shown += page.length;
      oldest = page.at(-1)?.seq ?? oldest;
      showCount(page.length < limit);
    } catch (err) {
      count.after(errorBox(err));
    } finally {
      more.disabled = false;
    }
  });
  const exportQuery = filters.toString();
  const exportLink = (format, text) =>
    h(
      'a',
      {
        href: `/api/v1/audit/export.${format}${exportQuery ? `?${exportQuery}` : ''}`,
        id: `export-${format}`,
        download: '',
      },
      text,
    );

  mount(
    h('h1', {}, 'Audit trail'),
    h(
      'p',
      { class: 'muted' },
      'Append-only; each entry’s SHA-256 covers the previous entry’s hash, so an edited, removed or reordered entry breaks the chain. Times are in your local time zone.',
    ),
    hasRole(user, 'qa', 'admin')
      ? verifyControls()
      : h('p', { class: 'muted' }, 'Chain verification is for the QA and admin roles.'),
    filterForm(facets),
    h(
      'p',
      { class: 'exports' },
      'Export the entries shown by these filters (oldest first, with the chain head and its verification): ',
      exportLink('csv', 'CSV'),
      ' · ',
      exportLink('pdf', 'PDF'),
    ),
    count,
    tbl,
    h('p', {}, more),
  );
});
