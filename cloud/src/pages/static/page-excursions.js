import { api } from './api.js';
import { excursionStateText } from './format-status.js';
import { dayRangeFilter, locationFilter, showFiltersInAddress, utcDayStart } from './list-filters.js';
import { excursionLink, named } from './names.js';
import { pagedList } from './paged-list.js';
import { badge, fmtDuration, fmtNum, fmtTime, h, mount, runPage } from './ui.js';

const CLOSED = new Set(['closed', 'released', 'rejected', 'decided']);
/** Needs QA: not decided yet (the domain engine's reviewState; before it exists, every excursion). */
const needsReview = (e) => (e.reviewState ?? 'pending') !== 'decided';
/** Excursions per page (GET /api/v1/excursions?limit=…; "Load more" follows nextCursor). */
const PAGE = 100;
const DAY = 86_400_000;

runPage(async () => {
  const [summary, locations] = await Promise.all([
    api.get('/api/v1/summary?lots=0'),
    api.get('/api/v1/locations'),
  ]);
  const q = new URLSearchParams(location.search);
  const loc = locationFilter(locations, q.get('location'));
  const state = h(
    'select',
    { id: 'f-state', name: 'state' },
    h('option', { value: '' }, 'Any state'),
    h('option', { value: 'open', selected: q.get('state') === 'open' }, 'Needs review (not decided)'),
    ['closed', 'ongoing', 'withdrawn'].map((s) =>
      h('option', { value: s, selected: q.get('state') === s }, excursionStateText(s)),
    ),
  );
  const { from, to } = dayRangeFilter(q);
  const critical = h('input', {
    id: 'f-critical',
    type: 'checkbox',
    name: 'critical',
    checked: q.get('critical') === '1',
  });
  const body = h('tbody');
  const count = h('p', { class: 'muted', id: 'result-count' });
  const more = h('button', { type: 'button', id: 'load-more', hidden: true }, 'Load more');
  /** The list's filters as API parameters (the server filters and pages; nothing is filtered here). */
  const apiParams = () => {
    const p = new URLSearchParams({ order: 'desc', limit: String(PAGE) });
    if (loc.value) p.set('locationId', loc.value);
    if (state.value === 'open') p.set('reviewState', 'pending');
    else if (state.value) p.set('state', state.value);
    // Dates are whole UTC days: excursions overlapping [from 00:00, to 24:00).
    if (from.value) p.set('from', String(utcDayStart(from.value)));
    if (to.value) p.set('to', String(utcDayStart(to.value) + DAY - 1));
    if (critical.checked) p.set('critical', 'true');
    return p;
  };

  const locationNames = new Map(locations.map((l) => [l.id, l.name]));
  const row = (e) =>
    h(
      'tr',
      { 'data-id': e.id },
      h('td', {}, excursionLink(e, locationNames.get(e.locationId) ?? e.locationId)),
      h('td', {}, named(locationNames, e.locationId, 'location')),
      h('td', {}, fmtTime(e.startTs)),
      h('td', {}, e.endTs !== null ? fmtTime(e.endTs) : e.state === 'withdrawn' ? '—' : 'ongoing'),
      h('td', {}, fmtDuration(e.durationMs)),
      h('td', {}, fmtNum(e.peakC, 1, ' °C')),
      h('td', {}, fmtNum(e.degreeMinutes, 1)),
      h('td', {}, fmtNum(e.mktC, 2, ' °C')),
      h(
        'td',
        {},
        badge(excursionStateText(e.state), CLOSED.has(e.state) ? '' : 'warn'),
        e.reviewState ? badge(`review: ${e.reviewState}`, needsReview(e) ? 'warn' : 'ok') : null,
        e.critical ? badge('critical', 'bad') : null,
      ),
    );

  const list = pagedList({
    path: '/api/v1/excursions',
    params: apiParams,
    row,
    body,
    columns: 9,
    moreButton: more,
    onCount: (shown, partial) => {
      count.textContent = `${shown}${partial ? '+' : ''} of ${summary.excursions} excursions`;
    },
  });

  const render = () => {
    const params = new URLSearchParams();
    if (loc.value) params.set('location', loc.value);
    if (state.value) params.set('state', state.value);
    if (from.value) params.set('from', from.value);
    if (to.value) params.set('to', to.value);
    if (critical.checked) params.set('critical', '1');
    showFiltersInAddress(params);
    return list.reset();
  };
  for (const c of [loc, state, from, to, critical]) c.addEventListener('change', render);

  mount(
    h('h1', {}, 'Excursions'),
    h(
      'form',
      { class: 'filters', id: 'filters' },
      h('label', {}, 'Location ', loc),
      h('label', {}, 'State ', state),
      h('label', {}, 'From ', from),
      h('label', {}, 'To ', to),
      h('label', {}, critical, ' critical only'),
    ),
    count,
    h(
      'table',
      { id: 'excursions' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Excursion', 'Location', 'Start', 'End', 'Duration', 'Peak', '°C·min', 'MKT', 'State'].map((t) =>
            h('th', {}, t),
          ),
        ),
      ),
      body,
    ),
    more,
  );
  await render();
});
