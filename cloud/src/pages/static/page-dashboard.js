import { api } from './api.js';
import { backlogText, excursionStateText } from './format-status.js';
import { excursionLink, gatewayName, loadNames } from './names.js';
import { badge, fmtDuration, fmtNum, fmtTime, h, mount, runPage, table } from './ui.js';

/** Rows of the open-excursions table (the newest; the excursion list has them all). */
const OPEN_ROWS = 50;

runPage(async () => {
  // Counts come from GET /api/v1/summary (COUNT queries); only the first page of open excursions is read.
  const [summary, openPage, gateways, gaps, names] = await Promise.all([
    api.get('/api/v1/summary'),
    api.get(`/api/v1/excursions?reviewState=pending&order=desc&limit=${OPEN_ROWS}`),
    api.get('/api/v1/gateways'),
    api.get('/api/v1/data-gaps'),
    loadNames(),
  ]);
  const open = openPage.items;
  const locked = summary.lockedLots;
  const online = gateways.filter((g) => g.online).length;
  const holes = gaps.reduce((n, g) => n + g.holes.length, 0);

  mount(
    h('h1', {}, 'Dashboard'),
    h(
      'div',
      { class: 'tiles' },
      tile(
        'Excursions needing review',
        summary.excursionsPendingReview,
        '/excursions?state=open',
        summary.excursionsPendingReview ? 'bad' : 'ok',
        'tile-open-excursions',
      ),
      tile(
        'Locked lots',
        summary.lotsWithLockedUnits,
        '/lots?hasLocks=true',
        summary.lotsWithLockedUnits ? 'bad' : 'ok',
        'tile-locked-lots',
      ),
      // Units without serial held by excursions (quantity holds) that no QA decision covers yet.
      tile(
        'Units without serial held',
        summary.heldUnits ?? 0,
        '/excursions?state=open',
        summary.heldUnits ? 'bad' : 'ok',
        'tile-held-units',
      ),
      // Decided is not done: rejected stock stays on the dashboard until it is destroyed or returned.
      tile(
        'Rejected units awaiting destruction or return',
        summary.rejectedAwaitingClosure,
        '/lots',
        summary.rejectedAwaitingClosure ? 'bad' : 'ok',
        'tile-rejected-awaiting',
      ),
      tile(
        'Releases awaiting a second signature',
        summary.releasesAwaitingSecondSignature,
        '/excursions?state=open',
        summary.releasesAwaitingSecondSignature ? 'warn' : 'ok',
        'tile-second-signature',
      ),
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
    summary.excursionsPendingReview > open.length
      ? h(
          'p',
          { class: 'muted' },
          `The newest ${open.length} of ${summary.excursionsPendingReview}: `,
          h('a', { href: '/excursions?state=open' }, 'all excursions needing review'),
        )
      : null,
    table(
      ['Excursion', 'Location', 'Start', 'Duration', 'Peak', 'State'],
      open.map((e) =>
        h(
          'tr',
          {},
          h('td', {}, excursionLink(e, names.locationText(e.locationId))),
          h('td', {}, names.location(e.locationId)),
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
            badge(
              e.endTs === null && e.state !== 'withdrawn' ? 'ongoing' : excursionStateText(e.state),
              e.critical ? 'bad' : '',
            ),
            ' ',
            badge(`review: ${e.reviewState ?? 'pending'}`, 'warn'),
          ),
        ),
      ),
      { id: 'open-excursions' },
    ),
    h('h2', {}, 'Locked lots'),
    summary.lotsWithLockedUnits > locked.length
      ? h(
          'p',
          { class: 'muted' },
          `${locked.length} of ${summary.lotsWithLockedUnits}: `,
          h('a', { href: '/lots?hasLocks=true' }, 'all locked lots'),
        )
      : null,
    table(
      ['Lot', 'GTIN', 'Locked / total units', 'Locked since'],
      locked.map((l) =>
        h(
          'tr',
          { 'data-lot': l.lotId },
          h(
            'td',
            {},
            // Named by its lot number (as the lot page and the PDF); the id is in the link and on hover.
            h(
              'a',
              { href: `/lots/${encodeURIComponent(l.lotId)}`, title: `lot id: ${l.lotId}` },
              l.lotNumber,
            ),
          ),
          h('td', {}, l.gtin),
          h('td', {}, `${l.lockedUnits} / ${l.totalUnits}`),
          h('td', { class: 'locked-since' }, fmtTime(l.lockedSince)),
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
          h('td', {}, gatewayName(g)),
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
