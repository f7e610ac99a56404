import { api } from './api.js';
import { backlogText } from './format-status.js';
import { badge, fmtDuration, fmtNum, fmtTime, h, mount, runPage, table } from './ui.js';

/** Needs QA: not yet decided (the domain engine's reviewState), or, before review states exist, any excursion. */
const isOpen = (e) => (e.reviewState ?? e.review_state ?? 'pending') !== 'decided';

runPage(async () => {
  const [excursions, gateways, gaps, lots] = await Promise.all([
    api.get('/api/v1/excursions'),
    api.get('/api/v1/gateways'),
    api.get('/api/v1/data-gaps'),
    api.get('/api/v1/lots'),
  ]);
  const open = excursions.filter(isOpen);
  const locked = lots.filter((l) => l.units.locked > 0);
  const online = gateways.filter((g) => g.online).length;
  const holes = gaps.reduce((n, g) => n + g.holes.length, 0);

  mount(
    h('h1', {}, 'Dashboard'),
    h(
      'div',
      { class: 'tiles' },
      tile(
        'Excursions needing review',
        open.length,
        '/excursions?state=open',
        open.length ? 'bad' : 'ok',
        'tile-open-excursions',
      ),
      tile('Locked lots', locked.length, '/lots', locked.length ? 'bad' : 'ok', 'tile-locked-lots'),
      tile(
        'Gateways online',
        `${online} / ${gateways.length}`,
        '/gateways',
        online === gateways.length ? 'ok' : 'warn',
        'tile-gateways',
      ),
      tile('Data gaps', holes, '/gateways', holes ? 'warn' : 'ok', 'tile-data-gaps'),
    ),
    h('h2', {}, 'Open excursions'),
    table(
      ['Excursion', 'Location', 'Start', 'Duration', 'Peak', 'State'],
      open.map((e) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `/excursions/${encodeURIComponent(e.id)}` }, e.id)),
          h('td', {}, e.locationId),
          h('td', {}, fmtTime(e.startTs)),
          h(
            'td',
            {},
            fmtDuration(e.durationMs),
            e.endTs === null && e.state !== 'withdrawn' ? ' (ongoing)' : '',
          ),
          h('td', {}, fmtNum(e.peakC, 1, ' °C')),
          h(
            'td',
            {},
            badge(e.endTs === null && e.state !== 'withdrawn' ? 'ongoing' : e.state, e.critical ? 'bad' : ''),
            ' ',
            badge(`review: ${e.reviewState ?? 'pending'}`, 'warn'),
          ),
        ),
      ),
      { id: 'open-excursions' },
    ),
    h('h2', {}, 'Locked lots'),
    table(
      ['Lot', 'GTIN', 'Locked / total units'],
      locked.map((l) =>
        h(
          'tr',
          { 'data-lot': l.id },
          h('td', {}, h('a', { href: `/lots/${encodeURIComponent(l.id)}` }, `${l.id} (${l.lotNumber})`)),
          h('td', {}, l.gtin),
          h('td', {}, `${l.units.locked} / ${l.units.total}`),
        ),
      ),
      { id: 'locked-lots' },
    ),
    h('h2', {}, 'Gateways'),
    table(
      ['Gateway', 'State', 'Last seen', 'Backlog', 'Data gaps'],
      gateways.map((g) =>
        h(
          'tr',
          {},
          h('td', {}, g.name ? `${g.name} (${g.id})` : g.id),
          h('td', {}, badge(g.online ? 'online' : 'offline', g.online ? 'ok' : 'bad')),
          h('td', {}, fmtTime(g.statusAt)),
          h('td', {}, backlogText(g.status?.backlog)),
          h('td', {}, String(g.dataGaps.length)),
        ),
      ),
      { id: 'gateways' },
    ),
  );
});

function tile(label, value, href, kind, id) {
  return h(
    'a',
    { class: `tile ${kind}`, href, id },
    h('span', { class: 'tile-value' }, String(value)),
    h('span', { class: 'tile-label' }, label),
  );
}
