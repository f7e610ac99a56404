import { h } from './ui.js';

/** The location filter of a list page: every location by name (its id on hover), `selected` chosen. */
export function locationFilter(locations, selected) {
  return h(
    'select',
    { id: 'f-location', name: 'location' },
    h('option', { value: '' }, 'All locations'),
    locations.map((l) =>
      h('option', { value: l.id, selected: selected === l.id, title: `location id: ${l.id}` }, l.name),
    ),
  );
}

/** The From and To day filters of a list page, filled from the page's query `q` (`from`, `to`). */
export function dayRangeFilter(q) {
  return {
    from: h('input', { id: 'f-from', type: 'date', name: 'from', value: q.get('from') ?? '' }),
    to: h('input', { id: 'f-to', type: 'date', name: 'to', value: q.get('to') ?? '' }),
  };
}

/** The start of a filter's day (`YYYY-MM-DD`, a whole UTC day) in epoch ms. */
export function utcDayStart(day) {
  return Date.parse(`${day}T00:00:00Z`);
}

/** Puts a list page's filters in its address (so a reload or a shared link shows the same list), no new history entry. */
export function showFiltersInAddress(params) {
  history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}`);
}
