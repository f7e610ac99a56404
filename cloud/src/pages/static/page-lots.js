import { api } from './api.js';
import { badge, h, mount, runPage, table } from './ui.js';

runPage(async () => {
  const lots = await api.get('/api/v1/lots');
  mount(
    h('h1', {}, 'Lots'),
    table(
      ['Lot', 'GTIN', 'Lot number', 'Expiry', 'Units', 'Locked', 'Released', 'Rejected'],
      lots.map((l) =>
        h(
          'tr',
          { 'data-lot': l.id },
          h('td', {}, h('a', { href: `/lots/${encodeURIComponent(l.id)}` }, l.id)),
          h('td', {}, l.gtin),
          h('td', {}, l.lotNumber),
          h('td', {}, l.expiry),
          h('td', {}, String(l.units.total)),
          h('td', { class: 'locked' }, badge(String(l.units.locked), l.units.locked > 0 ? 'bad' : 'ok')),
          h('td', {}, String(l.units.released)),
          h('td', {}, String(l.units.rejected)),
        ),
      ),
      { id: 'lots' },
    ),
  );
});
