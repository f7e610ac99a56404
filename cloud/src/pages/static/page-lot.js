import { api } from './api.js';
import { seriesBySensor, temperatureChart } from './chart.js';
import { badge, fmtDuration, fmtNum, fmtTime, h, mount, runPage, table } from './ui.js';

const id = decodeURIComponent(location.pathname.split('/')[2] ?? '');
const enc = encodeURIComponent(id);
/** Custody is read per unit (GET /api/v1/epcs/:epc); a lot's timeline shows at most this many units. */
const MAX_UNITS_FOR_CUSTODY = 200;

runPage(async () => {
  const lot = await api.optional(`/api/v1/lots/${enc}`);
  if (!lot) {
    mount(h('h1', {}, `Lot ${id}`), h('p', { class: 'error' }, 'No such lot.'));
    return;
  }
  const units = await api.get(`/api/v1/lots/${enc}/units`);
  const views = await Promise.all(
    units
      .slice(0, MAX_UNITS_FOR_CUSTODY)
      .map((u) => api.optional(`/api/v1/epcs/${encodeURIComponent(u.epc)}`)),
  );
  const segments = custodySegments(views.filter(Boolean));
  const readings = (
    await Promise.all(
      segments.map((s) =>
        api.get(
          `/api/v1/readings?locationId=${encodeURIComponent(s.locationId)}&from=${s.from}&to=${(s.to ?? Date.now()) + 1}&limit=20000`,
        ),
      ),
    )
  ).flat();
  const exs = lot.excursions ?? [];
  const details = await Promise.all(
    exs.map((e) => api.optional(`/api/v1/excursions/${encodeURIComponent(e.excursionId)}`)),
  );

  mount(
    h('p', { class: 'crumbs' }, h('a', { href: '/lots' }, 'Lots'), ' / ', id),
    h(
      'h1',
      {},
      `Lot ${lot.lotNumber}`,
      ' ',
      h(
        'span',
        { id: 'lot-lock-state' },
        badge(`${lot.units.locked} / ${lot.units.total} units locked`, lot.units.locked > 0 ? 'bad' : 'ok'),
        lot.units.released ? badge(`${lot.units.released} released`, 'ok') : null,
        lot.units.rejected ? badge(`${lot.units.rejected} rejected`, 'bad') : null,
      ),
    ),
    h(
      'dl',
      { class: 'facts', id: 'lot-facts' },
      h('dt', {}, 'GTIN'),
      h('dd', {}, lot.gtin, lot.product ? ` · ${lot.product.name}` : ''),
      h('dt', {}, 'Expiry'),
      h('dd', {}, lot.expiry),
      h('dt', {}, 'Product tolerance'),
      h('dd', {}, lot.product ? `${lot.product.minC} … ${lot.product.maxC} °C` : '—'),
      h('dt', {}, 'Time outside tolerance'),
      h(
        'dd',
        {},
        fmtDuration(lot.timeOutsideMs),
        lot.product ? ` of ${fmtDuration(lot.product.stabilityBudgetMs)} stability budget` : '',
        ' ',
        lot.withinBudget === null
          ? ''
          : badge(lot.withinBudget ? 'within budget' : 'budget exceeded', lot.withinBudget ? 'ok' : 'bad'),
      ),
      h('dt', {}, 'MKT'),
      h('dd', {}, fmtNum(lot.mktC, 2, ' °C')),
      h('dt', {}, 'Units are now'),
      h(
        'dd',
        {},
        Object.entries(lot.whereNow ?? {})
          .map(([loc, n]) => `${n} at ${loc}`)
          .join(', ') || '—',
      ),
    ),
    h('h2', {}, 'Custody timeline'),
    units.length > MAX_UNITS_FOR_CUSTODY
      ? h('p', { class: 'muted' }, `Built from the first ${MAX_UNITS_FOR_CUSTODY} of ${units.length} units.`)
      : null,
    table(
      ['Location', 'First unit entered', 'Last unit left', 'Units'],
      segments.map((s) =>
        h(
          'tr',
          {},
          h('td', {}, s.locationId),
          h('td', {}, fmtTime(s.from)),
          h('td', {}, s.to === null ? 'still there' : fmtTime(s.to)),
          h('td', {}, String(s.epcs.size)),
        ),
      ),
      { id: 'custody' },
    ),
    h('h2', {}, 'Temperature across custody'),
    readings.length
      ? h(
          'figure',
          { class: 'chart-box' },
          temperatureChart({
            series: seriesBySensor(readings),
            minC: lot.product?.minC,
            maxC: lot.product?.maxC,
            shade: details.filter(Boolean).map((e) => ({ from: e.startTs, to: e.endTs })),
            title: `Temperature where lot ${id} was`,
          }),
          h(
            'figcaption',
            { class: 'muted' },
            'Readings of the locations while the lot’s units were there; dashed: product tolerance.',
          ),
        )
      : h('p', { class: 'muted' }, 'No readings where this lot has been.'),
    h('h2', {}, 'Excursions'),
    table(
      ['Excursion', 'Location', 'Exposed units', 'Time outside tolerance', 'Review'],
      exs.map((e, i) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `/excursions/${encodeURIComponent(e.excursionId)}` }, e.excursionId)),
          h('td', {}, e.locationId),
          h('td', {}, String(e.exposedUnits)),
          h('td', {}, fmtDuration(e.timeOutsideMs)),
          h('td', {}, details[i]?.reviewState ?? '—'),
        ),
      ),
      { id: 'lot-excursions' },
    ),
    h('h2', {}, 'Decisions'),
    table(
      ['Excursion', 'Decision', 'Units', 'Signed by', 'Signed at', 'Meaning', 'Reason'],
      (lot.dispositions ?? []).map((d) =>
        h(
          'tr',
          {},
          h('td', {}, d.excursionId),
          h('td', {}, badge(d.decision, d.decision === 'release' ? 'ok' : 'bad')),
          h('td', {}, String(d.units)),
          h('td', {}, `${d.signature.printedName} (${d.signature.username})`),
          h('td', {}, fmtTime(d.signature.signedAt)),
          h('td', { class: 'small' }, d.signature.meaning),
          h('td', {}, d.reason),
        ),
      ),
      { id: 'lot-decisions' },
    ),
    h('h2', {}, 'Trace / recall: every unit'),
    table(
      ['EPC', 'Now at', 'State'],
      units.map((u) =>
        h(
          'tr',
          { 'data-epc': u.epc },
          h('td', { class: 'mono' }, u.epc),
          h('td', {}, u.location ?? 'never seen'),
          h(
            'td',
            {},
            u.locked ? badge('locked', 'bad') : u.rejected ? badge('rejected', 'bad') : badge('free', 'ok'),
          ),
        ),
      ),
      { id: 'units' },
    ),
  );
});

/** Merges the units' custody intervals into one row per stay at a location (units moving together). */
function custodySegments(views) {
  const intervals = views
    .flatMap((v) => v.custody.map((c) => ({ ...c, epc: v.epc })))
    .sort((a, b) => a.enteredAt - b.enteredAt);
  const segs = [];
  for (const c of intervals) {
    const open = segs.find((s) => s.locationId === c.locationId && (s.to === null || c.enteredAt <= s.to));
    if (open) {
      open.epcs.add(c.epc);
      open.to = open.to === null || c.leftAt === null ? null : Math.max(open.to, c.leftAt);
    } else segs.push({ locationId: c.locationId, from: c.enteredAt, to: c.leftAt, epcs: new Set([c.epc]) });
  }
  return segs.sort((a, b) => a.from - b.from);
}
