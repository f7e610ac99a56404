import { api } from './api.js';
import { backlogText } from './format-status.js';
import { gatewayName, loadNames } from './names.js';
import { badge, fmtTime, h, mount, runPage, table } from './ui.js';

runPage(async () => {
  const [gateways, names] = await Promise.all([api.get('/api/v1/gateways'), loadNames({ portals: true })]);
  mount(
    h('h1', {}, 'Gateways'),
    gateways.length
      ? null
      : h('p', { class: 'muted' }, 'No gateways registered (coldtrace gateway add <id>).'),
    ...gateways.map((g) =>
      h(
        'section',
        { class: 'card gateway', 'data-id': g.id },
        h('h2', {}, gatewayName(g), ' ', badge(g.online ? 'online' : 'offline', g.online ? 'ok' : 'bad')),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Last seen'),
          h('dd', {}, fmtTime(g.statusAt)),
          h('dt', {}, 'Version'),
          h('dd', {}, g.status?.version ?? '—'),
          h('dt', {}, 'Backlog'),
          h('dd', { class: 'backlog' }, backlogText(g.status?.backlog)),
          h('dt', {}, 'Oldest unsent'),
          h('dd', {}, fmtTime(g.status?.backlog?.oldestTs ?? null)),
          h('dt', {}, 'Received up to'),
          h(
            'dd',
            {},
            Object.entries(g.highWater)
              .map(([s, n]) => `${s} #${n}`)
              .join(', ') || '—',
          ),
          h('dt', {}, 'Data gaps'),
          h(
            'dd',
            {},
            g.dataGaps.length
              ? g.dataGaps
                  .map((d) => `${d.stream}${d.epoch ? ` (epoch ${d.epoch})` : ''} #${d.from}–${d.to}`)
                  .join(', ')
              : 'none',
          ),
          h('dt', {}, 'Sequence resets'),
          h(
            'dd',
            { class: 'sequence-resets' },
            g.sequenceResets.length
              ? g.sequenceResets
                  .map(
                    (r) =>
                      `${r.stream} at ${fmtTime(r.at)}: epoch ${r.fromEpoch} → ${r.toEpoch} (old high water #${r.previousHighWater})`,
                  )
                  .join('; ')
              : 'none',
          ),
          h('dt', {}, 'Reused sequence numbers'),
          h(
            'dd',
            { class: 'sequence-reuses' },
            g.sequenceReuses.length
              ? g.sequenceReuses
                  .map(
                    (r) =>
                      `${r.stream} at ${fmtTime(r.at)}: ${r.records} records kept in fork ${r.fork} (buffer.db rolled back)`,
                  )
                  .join('; ')
              : 'none',
          ),
        ),
        h('h3', {}, 'Readers'),
        table(
          ['Reader', 'Portal', 'State', 'Since', 'Last error'],
          (g.status?.readers ?? []).map((r) =>
            h(
              'tr',
              {},
              h('td', {}, r.readerId),
              h('td', {}, names.portal(r.portalId)),
              h('td', {}, badge(r.state, r.state === 'connected' ? 'ok' : 'bad')),
              h('td', {}, fmtTime(r.since)),
              h('td', {}, r.lastError ?? ''),
            ),
          ),
        ),
        h('h3', {}, 'Sensors'),
        table(
          ['Sensor', 'Location', 'State', 'Last reading', 'Errors', 'Last error'],
          (g.status?.sensors ?? []).map((s) =>
            h(
              'tr',
              {},
              h('td', {}, names.sensor(s.sensorId)),
              h('td', {}, names.location(s.locationId)),
              h('td', {}, badge(s.state, s.state === 'ok' ? 'ok' : 'bad')),
              h('td', {}, fmtTime(s.lastReadingTs)),
              h('td', {}, String(s.consecutiveErrors ?? 0)),
              h('td', {}, s.lastError ?? ''),
            ),
          ),
        ),
        scanSection(g.status, names),
      ),
    ),
  );
});

/** Barcode scan stations and the scan page (docs/barcode.md); none for a gateway that reports none. */
function scanSection(status, names) {
  if (!status?.scanStations && !status?.scanPage) return null;
  const page = status.scanPage;
  return [
    h('h3', {}, 'Scan stations'),
    page
      ? h(
          'p',
          { class: 'scan-page' },
          'Scan page: ',
          badge(page.state, page.state === 'serving' ? 'ok' : 'bad'),
          page.port ? ` on ${page.host}:${page.port}` : ` (${page.host})`,
          page.lastError ? `: ${page.lastError}` : '',
        )
      : null,
    table(
      ['Station', 'Source', 'Location', 'Direction', 'Device', 'Last scan', 'Scans', 'Refused', 'Last error'],
      (status.scanStations ?? []).map((s) =>
        h(
          'tr',
          {},
          h('td', {}, s.stationId),
          h('td', {}, s.source === 'page' ? 'scan page' : 'serial'),
          h('td', {}, names.location(s.locationId)),
          h('td', {}, s.direction),
          h('td', {}, badge(s.state, s.state === 'open' ? 'ok' : 'bad')),
          h('td', {}, fmtTime(s.lastScanTs)),
          h('td', {}, String(s.scans)),
          h(
            'td',
            {},
            Object.entries(s.refused)
              .map(([code, n]) => `${code} ${n}`)
              .join(', ') || '0',
          ),
          h('td', {}, s.lastError ?? ''),
        ),
      ),
      { class: 'scan-stations' },
    ),
  ];
}
