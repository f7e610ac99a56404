import { showFiltersInAddress } from './list-filters.js';
import { pagedList } from './paged-list.js';
import { badge, h, mount, runPage, table } from './ui.js';

/** Lots per page (GET /api/v1/lots?limit=…; "Load more" follows nextCursor), each with its unit counts. */
const PAGE = 100;

runPage(async () => {
  const q = new URLSearchParams(location.search);
  const gtin = h('input', {
    id: 'f-gtin',
    name: 'gtin',
    inputmode: 'numeric',
    pattern: '\\d{14}',
    placeholder: 'GTIN-14',
    value: q.get('gtin') ?? '',
  });
  const locked = h('input', {
    id: 'f-locked',
    type: 'checkbox',
    name: 'hasLocks',
    checked: q.get('hasLocks') === 'true',
  });
  // A lot is named by its lot number (as the lot page and the PDF); its id is in the link and on hover.
  const t = table(['Lot', 'GTIN', 'Expiry', 'Units', 'Locked', 'Released', 'Rejected'], [], {
    id: 'lots',
  });
  const body = t.querySelector('tbody');
  const more = h('button', { type: 'button', id: 'load-more', hidden: true }, 'Load more');
  const note = h('p', { class: 'muted', id: 'result-count' });

  const row = (l) =>
    h(
      'tr',
      { 'data-lot': l.id },
      h(
        'td',
        {},
        h('a', { href: `/lots/${encodeURIComponent(l.id)}`, title: `lot id: ${l.id}` }, l.lotNumber),
      ),
      h('td', {}, l.gtin),
      h('td', {}, l.expiry),
      h('td', {}, String(l.units.total)),
      h('td', { class: 'locked' }, badge(String(l.units.locked), l.units.locked > 0 ? 'bad' : 'ok')),
      h('td', {}, String(l.units.released)),
      h('td', {}, String(l.units.rejected)),
    );

  const list = pagedList({
    path: '/api/v1/lots',
    params: () => {
      const p = new URLSearchParams({ limit: String(PAGE) });
      // A GTIN not yet complete is not sent (the server refuses a malformed one).
      if (/^\d{14}$/.test(gtin.value)) p.set('gtin', gtin.value);
      if (locked.checked) p.set('hasLocks', 'true');
      return p;
    },
    row,
    body,
    columns: 7,
    moreButton: more,
    onCount: (shown, partial) => {
      note.textContent = `${shown}${partial ? '+' : ''} lots`;
    },
  });
  const render = () => {
    const params = new URLSearchParams();
    if (gtin.value) params.set('gtin', gtin.value);
    if (locked.checked) params.set('hasLocks', 'true');
    showFiltersInAddress(params);
    return list.reset();
  };
  gtin.addEventListener('change', render);
  locked.addEventListener('change', render);

  mount(
    h('h1', {}, 'Lots'),
    h(
      'form',
      { class: 'filters', id: 'filters', onsubmit: (e) => e.preventDefault() },
      h('label', {}, 'Product ', gtin),
      h('label', {}, locked, ' with locked units only'),
    ),
    note,
    t,
    more,
  );
  await render();
});
