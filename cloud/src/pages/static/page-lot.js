import { api } from './api.js';
import { lotTemperatureSection } from './lot-temperature-view.js';
import { excursionLink, loadNames, unitLabel, whereNowText } from './names.js';
import { quantitiesSection } from './quantities-view.js';
import { rejectedStockSection } from './rejected-stock-view.js';
import { badge, errorBox, fmtDuration, fmtNum, fmtTime, h, mount, runPage, table } from './ui.js';

const id = decodeURIComponent(location.pathname.split('/')[2] ?? '');
const enc = encodeURIComponent(id);
/** Units per page of the trace table (GET /api/v1/lots/:id/trace). */
const TRACE_PAGE = 500;

runPage(async (user) => {
  const lot = await api.optional(`/api/v1/lots/${enc}`);
  if (!lot) {
    mount(h('h1', {}, `Lot ${id}`), h('p', { class: 'error' }, 'No such lot.'));
    return;
  }
  const trace = await api.get(`/api/v1/lots/${enc}/trace?limit=${TRACE_PAGE}`);
  const exs = lot.excursions ?? [];
  const details = await Promise.all(
    exs.map((e) => api.optional(`/api/v1/excursions/${encodeURIComponent(e.excursionId)}`)),
  );

  const names = await loadNames();
  // Temperature across custody: the whole custody from the rollups, the raw readings of a chosen range.
  const { section: temperature, intervals: segments } = await lotTemperatureSection(id, lot, names);
  const rejected = await rejectedStockSection(id, user, names);
  // The lot is named by its lot number everywhere (the PDF too); its id is in the address and on hover.
  mount(
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: '/lots' }, 'Lots'),
      ' / ',
      h('span', { title: `lot id: ${id}` }, lot.lotNumber),
    ),
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
      // docs/domain.md "Lot assessment": the MKT over the excursions' windows and over the custody so far.
      h('dt', {}, 'MKT over its excursions'),
      h('dd', { 'data-k': 'mkt-excursions' }, fmtNum(lot.mktC, 2, ' °C')),
      h('dt', {}, 'MKT over its custody so far'),
      h('dd', { 'data-k': 'mkt-custody' }, fmtNum(lot.custodyMktC, 2, ' °C')),
      h('dt', {}, 'Units are now'),
      h('dd', { 'data-k': 'where' }, whereNowText(lot.whereNow, names)),
    ),
    h('h2', {}, 'Custody timeline'),
    table(
      ['Location', 'First unit entered', 'Last unit left', 'Units'],
      segments.map((s) =>
        h(
          'tr',
          {},
          h('td', {}, names.location(s.locationId)),
          h('td', {}, fmtTime(s.from)),
          h('td', {}, s.to === null ? 'still there' : fmtTime(s.to)),
          h('td', {}, String(s.units)),
        ),
      ),
      { id: 'custody' },
    ),
    temperature,
    h('h2', {}, 'Excursions'),
    table(
      ['Excursion', 'Location', 'Exposed units', 'Time outside tolerance', 'Review'],
      exs.map((e, i) =>
        h(
          'tr',
          {},
          h(
            'td',
            {},
            excursionLink(
              { id: e.excursionId, startTs: details[i]?.startTs },
              names.locationText(e.locationId),
            ),
          ),
          h('td', {}, names.location(e.locationId)),
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
    rejected,
    await quantitiesSection(id, names),
    h('h2', {}, 'Trace / recall: every unit'),
    traceView(trace, names),
  );
});

/** A unit's custody path: "Cold room 08:00Z – 09:10Z → Reefer truck 09:10Z – now" (ids on hover). */
function custodyPath(custody, names) {
  if (!custody.length) return 'never seen';
  return custody.flatMap((c, i) => [
    i ? ' → ' : '',
    names.location(c.locationId),
    ` ${fmtTime(c.enteredAt)} – ${c.leftAt === null ? 'now' : fmtTime(c.leftAt)}`,
  ]);
}

const STATE_BADGE = {
  locked: ['locked', 'bad'],
  rejected: ['rejected', 'bad'],
  released: ['released', 'ok'],
  free: ['free', 'ok'],
};

function unitRow(u, names) {
  const [label, kind] = STATE_BADGE[u.lockState] ?? [u.lockState, ''];
  return h(
    'tr',
    { 'data-epc': u.epc, 'data-state': u.lockState },
    h('td', {}, unitLabel(u)),
    h('td', {}, u.location === null ? 'never seen' : names.location(u.location)),
    h('td', {}, badge(label, kind)),
    h('td', { class: 'small custody-path' }, custodyPath(u.custody, names)),
  );
}

/** Every unit of the lot, a page at a time from the server ("Load more units"). */
function traceView(first, names) {
  const row = (u) => unitRow(u, names);
  const tbl = table(['Unit', 'Now at', 'State', 'Custody path'], first.units.map(row), { id: 'units' });
  const count = h('p', { class: 'muted', id: 'units-count' });
  const more = h('button', { type: 'button', id: 'units-more' }, 'Load more units');
  let shown = first.units.length;
  let next = first.nextAfter;
  const update = () => {
    count.textContent = `${shown} of ${first.total} units shown.`;
    more.hidden = next === null;
  };
  update();
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const page = await api.get(
        `/api/v1/lots/${enc}/trace?limit=${TRACE_PAGE}&after=${encodeURIComponent(next)}`,
      );
      tbl.tBodies[0].append(...page.units.map(row));
      shown += page.units.length;
      next = page.nextAfter;
      update();
    } catch (err) {
      count.after(errorBox(err));
    } finally {
      more.disabled = false;
    }
  });
  return h('div', {}, count, tbl, h('p', {}, more));
}
