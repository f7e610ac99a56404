import { api } from './api.js';
import { scanDirectionText } from './format-status.js';
import { dayRangeFilter, locationFilter, showFiltersInAddress, utcDayStart } from './list-filters.js';
import { loadNames } from './names.js';
import { pagedList } from './paged-list.js';
import { badge, fmtTime, h, mount, runPage } from './ui.js';
import { unmappedScansSection } from './unmapped-scans-view.js';

/** Scans per page (GET /api/v1/scans?limit=…; "Load more" follows nextCursor). */
const PAGE = 100;
const DAY = 86_400_000;
/** Lots offered in the lot filter's suggestions (GET /api/v1/lots allows 500 a page); any lot id can be typed. */
const LOT_SUGGESTIONS = 500;

/**
 * What each flag means, for a person (docs/barcode.md "What a mismatch looks like"): a short name and what
 * it means for the unit. The server's `detail` adds the values (which lot, which dates).
 */
const FLAGS = {
  scan_lot_mismatch: [
    'Lot on the label differs',
    'The code names another lot than the one the unit is commissioned to. The unit stays in its lot.',
  ],
  scan_expiry_mismatch: [
    'Expiry on the label differs',
    'The expiry date in the code is not the expiry of the unit’s lot in master data.',
  ],
  scan_expired_received: [
    'Expired unit scanned in',
    'The unit was received or put away after its expiry date (the code’s expiry, else its lot’s).',
  ],
  scan_lot_unknown: [
    'Lot not in master data',
    'The code names a lot master data does not have: the unit is tracked, but belongs to no lot.',
  ],
};

runPage(async () => {
  const [names, locations, lots] = await Promise.all([
    loadNames(),
    api.get('/api/v1/locations'),
    api.get(`/api/v1/lots?limit=${LOT_SUGGESTIONS}`),
  ]);
  const q = new URLSearchParams(location.search);
  const flag = h(
    'select',
    { id: 'f-flag', name: 'flag' },
    h('option', { value: '' }, 'Any flag'),
    Object.entries(FLAGS).map(([code, [label]]) =>
      h('option', { value: code, selected: q.get('flag') === code }, label),
    ),
    h('option', { value: 'all', selected: q.get('flag') === 'all' }, 'Every scan, flagged or not'),
  );
  // The lot by its id (the API's filter); the suggestions show each lot's number and product.
  const lot = h('input', {
    id: 'f-lot',
    name: 'lot',
    list: 'lot-choices',
    placeholder: 'lot id',
    value: q.get('lot') ?? '',
  });
  const lotChoices = h(
    'datalist',
    { id: 'lot-choices' },
    lots.items.map((l) => h('option', { value: l.id, label: `${l.lotNumber} · GTIN ${l.gtin}` })),
  );
  const loc = locationFilter(locations, q.get('location'));
  const { from, to } = dayRangeFilter(q);
  const body = h('tbody');
  const count = h('p', { class: 'muted', id: 'result-count' });
  const more = h('button', { type: 'button', id: 'load-more', hidden: true }, 'Load more');

  /** The filters as API parameters (the server filters and pages; nothing is filtered here). */
  const apiParams = () => {
    const p = new URLSearchParams({ limit: String(PAGE) });
    if (flag.value === '') p.set('flagged', 'true');
    else if (flag.value !== 'all') p.set('flag', flag.value);
    if (lot.value.trim()) p.set('lotId', lot.value.trim());
    if (loc.value) p.set('locationId', loc.value);
    // Dates are whole UTC days: scans in [from 00:00, to 24:00).
    if (from.value) p.set('from', String(utcDayStart(from.value)));
    if (to.value) p.set('to', String(utcDayStart(to.value) + DAY));
    return p;
  };

  const list = pagedList({
    path: '/api/v1/scans',
    params: apiParams,
    row: (s) => scanRow(s, names),
    body,
    columns: 6,
    moreButton: more,
    onCount: (shown, partial) => {
      count.textContent = `${shown}${partial ? '+' : ''} ${flag.value === 'all' ? 'scans' : 'flagged scans'}`;
    },
  });

  const render = () => {
    const params = new URLSearchParams();
    if (flag.value) params.set('flag', flag.value);
    if (lot.value.trim()) params.set('lot', lot.value.trim());
    if (loc.value) params.set('location', loc.value);
    if (from.value) params.set('from', from.value);
    if (to.value) params.set('to', to.value);
    showFiltersInAddress(params);
    return list.reset();
  };
  for (const c of [flag, lot, loc, from, to]) c.addEventListener('change', render);

  mount(
    h('h1', {}, 'Scans'),
    h(
      'p',
      { class: 'muted' },
      'Barcode scans whose code contradicts master data, newest first. Each flagged scan was still recorded ',
      '(custody, lots, exposure); the flag is for QA to check the label or master data.',
    ),
    h(
      'form',
      { class: 'filters', id: 'filters', onsubmit: (e) => e.preventDefault() },
      h('label', {}, 'Flag ', flag),
      h('label', {}, 'Lot ', lot, lotChoices),
      h('label', {}, 'Location ', loc),
      h('label', {}, 'From ', from),
      h('label', {}, 'To ', to),
    ),
    count,
    h(
      'table',
      { id: 'scans' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Scanned', 'Where', 'What was scanned', 'Lot', 'Flag', 'Code as read'].map((t) => h('th', {}, t)),
        ),
      ),
      body,
    ),
    more,
    await unmappedScansSection(names),
  );
  await render();
});

/** One scan: when, where (location, station, what happened), the unit, its lot, each flag in words, the code. */
function scanRow(s, names) {
  const where = h(
    'a',
    {
      href: `/excursions?location=${encodeURIComponent(s.locationId)}`,
      title: `location id: ${s.locationId} (its excursions)`,
    },
    names.locationText(s.locationId),
  );
  return h(
    'tr',
    { 'data-key': `${s.gatewayId}/${s.seq}`, 'data-flags': s.flags.map((f) => f.code).join(' ') },
    h('td', {}, fmtTime(s.ts)),
    h(
      'td',
      { class: 'where' },
      `${scanDirectionText(s.direction)} at `,
      where,
      h('br'),
      h(
        'span',
        { class: 'muted small', title: `gateway ${s.gatewayId}, record ${s.seq}` },
        `station ${s.stationId}`,
      ),
    ),
    h('td', { class: 'unit' }, unitText(s)),
    h('td', { class: 'lot' }, lotCell(s)),
    h(
      'td',
      { class: 'flags' },
      s.flags.length ? s.flags.map(flagText) : h('span', { class: 'muted' }, 'no flag'),
    ),
    h('td', { class: 'mono small code' }, visibleCode(s.code)),
  );
}

function unitText(s) {
  const product = s.gtin ? `GTIN ${s.gtin}` : s.hibc ? `HIBC ${s.hibc}` : 'no product code';
  const unit =
    s.serial !== null ? `${product} · serial ${s.serial}` : `${product} · no serial (counted in its lot)`;
  return [
    unit,
    s.expiry ? h('br') : null,
    s.expiry ? h('span', { class: 'small' }, `label expiry ${s.expiry}`) : null,
  ];
}

/** The lot the unit belongs to (a link, by its number), and what the label says when that differs. */
function lotCell(s) {
  const label = s.lot === null ? null : `label says lot ${s.lot}`;
  if (s.lotId === null) return label ?? '—';
  const link = h(
    'a',
    { href: `/lots/${encodeURIComponent(s.lotId)}`, title: `lot id: ${s.lotId}`, 'data-id': s.lotId },
    `Lot ${s.lotNumber ?? s.lotId}`,
  );
  return s.lot === null || s.lot === s.lotNumber
    ? link
    : [link, h('br'), h('span', { class: 'small' }, label)];
}

function flagText(f) {
  const [label, meaning] = FLAGS[f.code] ?? [f.code, ''];
  return h(
    'div',
    { class: 'flag', 'data-code': f.code },
    badge(label, 'warn'),
    ' ',
    meaning,
    h('br'),
    h('span', { class: 'muted small' }, f.detail),
  );
}

/** The code as read, its GS1 group separators (and any other control character) shown as ⟨GS⟩ / ⟨0x..⟩. */
function visibleCode(code) {
  return Array.from(code, (c) => {
    const n = c.charCodeAt(0);
    if (n === 0x1d) return '⟨GS⟩';
    return n < 0x20 || n === 0x7f ? `⟨0x${n.toString(16).padStart(2, '0')}⟩` : c;
  }).join('');
}
