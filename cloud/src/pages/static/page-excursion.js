import { api, hasRole } from './api.js';
import { auditTable } from './audit-view.js';
import { lateSpans, seriesBySensor, temperatureChart } from './chart.js';
import { decisionRows } from './decisions-view.js';
import { dispositionForm } from './disposition-form.js';
import { excursionStateText } from './format-status.js';
import { heldLotCard, holdText, holdUndecided } from './held-quantities-view.js';
import { loadNames, unitLabel, whereNowText } from './names.js';
import { proposalRows, releaseNeedsNotice } from './release-proposals-view.js';
import { badge, errorBox, fmtDuration, fmtNum, fmtTime, h, mount, runPage, waiting } from './ui.js';

const id = decodeURIComponent(location.pathname.split('/')[2] ?? '');

runPage(async (user) => {
  const ex = await api.optional(`/api/v1/excursions/${encodeURIComponent(id)}`);
  if (!ex) {
    mount(h('h1', {}, 'Excursion not found'), h('p', {}, id));
    return;
  }
  const end = ex.endTs ?? ex.lastTs ?? Date.now();
  const pad = Math.max((end - ex.startTs) * 0.5, 30 * 60_000);
  const [loc, names, readings] = await Promise.all([
    api.get(`/api/v1/locations/${encodeURIComponent(ex.locationId)}`),
    loadNames(),
    api.get(
      `/api/v1/readings?locationId=${encodeURIComponent(ex.locationId)}&from=${Math.max(0, Math.floor(ex.startTs - pad))}&to=${Math.ceil(end + pad)}&limit=100000`,
    ),
  ]);
  const late = lateSpans(readings);
  // The alarm fires once the temperature has been out of range for the alarm delay (docs/domain.md).
  const alarmAt = ex.startTs + (loc.alarmDelayMs ?? 0);
  const chart = temperatureChart({
    series: seriesBySensor(readings, names.sensorText),
    minC: loc.minC,
    maxC: loc.maxC,
    shade: [{ from: ex.startTs, to: ex.endTs }],
    late,
    marks: [{ ts: alarmAt, label: `alarm ${fmtTime(alarmAt).slice(11, 16)}` }],
    title: `Temperature at ${loc.name} around excursion ${ex.id}`,
  });
  chart.id = 'excursion-chart';

  const lotsBox = h(
    'section',
    { id: 'affected-lots' },
    h('h2', {}, 'Affected lots'),
    h('p', { class: 'muted' }, 'Loading…'),
  );
  const auditBox = h(
    'section',
    { id: 'audit-history' },
    h('h2', {}, 'Audit history'),
    h('p', { class: 'muted' }, 'Loading…'),
  );

  mount(
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: '/excursions' }, 'Excursions'),
      ' / ',
      h(
        'span',
        { title: `excursion id: ${ex.id}` },
        `${names.locationText(ex.locationId)} · ${fmtTime(ex.startTs)}`,
      ),
    ),
    h(
      'h1',
      {},
      `Excursion at ${loc.name}`,
      ' ',
      badge(excursionStateText(ex.state), ex.state === 'closed' ? '' : 'warn'),
      badge(`review: ${ex.reviewState ?? 'pending'}`, ex.reviewState === 'decided' ? 'ok' : 'warn'),
      ex.critical ? badge('critical', 'bad') : null,
    ),
    ex.state === 'withdrawn'
      ? h(
          'p',
          { class: 'notice', id: 'withdrawn-notice' },
          'Withdrawn: a recomputation (e.g. after a limit change, see the audit history) no longer finds this ' +
            'excursion. Units it locked stay locked pending review: only a signed disposition releases them.',
        )
      : null,
    h(
      'dl',
      { class: 'facts', id: 'excursion-stats' },
      h('dt', {}, 'Start'),
      h('dd', { 'data-k': 'start' }, fmtTime(ex.startTs)),
      h('dt', {}, 'End'),
      h(
        'dd',
        { 'data-k': 'end' },
        ex.endTs !== null ? fmtTime(ex.endTs) : ex.state === 'withdrawn' ? '—' : 'ongoing',
      ),
      h('dt', {}, 'Duration'),
      h('dd', { 'data-k': 'duration' }, fmtDuration(ex.durationMs)),
      h('dt', {}, 'Peak'),
      h('dd', { 'data-k': 'peak' }, fmtNum(ex.peakC, 1, ' °C')),
      h('dt', {}, 'Range'),
      h('dd', {}, `${fmtNum(ex.minC, 1)} … ${fmtNum(ex.maxC, 1)} °C (limits ${loc.minC} … ${loc.maxC} °C)`),
      h('dt', {}, 'Degree-minutes'),
      h('dd', { 'data-k': 'degree-minutes' }, fmtNum(ex.degreeMinutes, 1, ' °C·min')),
      h('dt', {}, 'MKT of this excursion'),
      h('dd', { 'data-k': 'mkt' }, fmtNum(ex.mktC, 2, ' °C')),
      h('dt', {}, 'Sensors'),
      h(
        'dd',
        { 'data-k': 'sensors' },
        (ex.sensorIds ?? []).flatMap((s, i) => [i ? ', ' : '', names.sensor(s)]),
        ex.sensorIds?.length ? '' : '—',
      ),
    ),
    h(
      'p',
      {},
      h(
        'a',
        { href: `/api/v1/excursions/${encodeURIComponent(ex.id)}/report.pdf`, id: 'report-link' },
        'PDF report',
      ),
    ),
    h(
      'figure',
      { class: 'chart-box' },
      chart,
      h(
        'figcaption',
        { class: 'muted' },
        `${readings.length} readings; shaded: the excursion; dashed: limits; red line: when the alarm fired` +
          (late.length
            ? `; amber: ${late.length} span${late.length === 1 ? '' : 's'} of data that reached the cloud more than 5 min after it was measured (uplink outage), so the cloud learned of it late.`
            : '.'),
      ),
    ),
    lotsBox,
    auditBox,
  );

  await Promise.all([
    renderLots(ex, user, lotsBox, names).catch((e) => lotsBox.append(errorBox(e))),
    renderAudit(ex, auditBox).catch((e) => auditBox.append(errorBox(e))),
  ]);
});

async function renderLots(ex, user, box, names) {
  const lots = ex.affectedLots;
  box.replaceChildren(h('h2', {}, 'Affected lots'));
  if (!lots) {
    box.append(waiting('the affected lots of an excursion (GET /api/v1/excursions/:id with affectedLots)'));
    return;
  }
  // Units without serial held by the excursion (docs/barcode.md "Quantity custody"), per lot.
  const quantities = await api.get(`/api/v1/excursions/${encodeURIComponent(ex.id)}/quantities`);
  const held = new Map(quantities.lots.filter((q) => q.hold).map((q) => [q.lotId, q.hold]));
  // A lot with only held units has no serialised unit: a card of its own, to decide it.
  const heldOnly = [...held.keys()].filter((id) => !lots.some((l) => l.lotId === id));
  if (!lots.length && !heldOnly.length) {
    box.append(h('p', { class: 'muted' }, 'No units were at this location during the excursion.'));
    return;
  }
  for (const lot of lots) box.append(lotCard(ex, lot, user, names, held.get(lot.lotId)));
  for (const lotId of heldOnly) box.append(heldOnlyCard(ex, lotId, held.get(lotId), user));
}

/** A lot whose only units at the location had no serial: its held quantity, decisions and the form. */
function heldOnlyCard(ex, lotId, hold, user) {
  const decisions = (ex.dispositions ?? []).filter((d) => d.lotId === lotId);
  return heldLotCard(lotId, hold, {
    decisionRows: decisionRows(decisions),
    form: holdUndecided(hold) ? dispositionForm(ex, { lotId }, user) : null,
  });
}

function lotCard(ex, lot, user, names, hold) {
  const a = lot.assessment;
  const decisions = (ex.dispositions ?? []).filter((d) => d.lotId === lot.lotId);
  // A lot is named by its lot number (as on the lot page and the PDF); its id is in the link.
  const title = lot.uncommissioned ? 'Uncommissioned units' : `Lot ${lot.lotNumber ?? lot.lotId}`;
  return h(
    'article',
    { class: 'card lot', 'data-lot': lot.lotId ?? '' },
    h(
      'h3',
      {},
      lot.lotId
        ? h('a', { href: `/lots/${encodeURIComponent(lot.lotId)}`, title: `lot id: ${lot.lotId}` }, title)
        : title,
      a?.gtin
        ? h('span', { class: 'muted' }, ` GTIN ${a.gtin}${a.product ? ` · ${a.product.name}` : ''}`)
        : null,
      ' ',
      h(
        'span',
        { class: 'lock-state' },
        badge(`${lot.lockedUnits} locked`, lot.lockedUnits > 0 ? 'bad' : 'ok'),
        lot.releasedUnits ? badge(`${lot.releasedUnits} released`, 'ok') : null,
        lot.rejectedUnits ? badge(`${lot.rejectedUnits} rejected`, 'bad') : null,
        h('span', { class: 'muted' }, ` of ${lot.exposedUnits} exposed, ${lot.totalUnits} in lot`),
      ),
    ),
    h(
      'dl',
      { class: 'facts' },
      ...(hold ? [h('dt', {}, 'Units without serial'), h('dd', { 'data-k': 'held' }, holdText(hold))] : []),
      h('dt', {}, 'Exposed units are now'),
      h('dd', { 'data-k': 'where' }, whereNowText(lot.whereNow, names)),
      h('dt', {}, 'Product tolerance'),
      h('dd', {}, a?.product ? `${a.product.minC} … ${a.product.maxC} °C` : '—'),
      h('dt', {}, 'Time outside tolerance'),
      h(
        'dd',
        { 'data-k': 'outside' },
        a ? fmtDuration(a.timeOutsideMs) : '—',
        a?.product ? ` of ${fmtDuration(a.product.stabilityBudgetMs)} stability budget (all excursions)` : '',
      ),
      h('dt', {}, 'Assessment'),
      h(
        'dd',
        { 'data-k': 'assessment' },
        a?.withinBudget === null || a?.withinBudget === undefined
          ? '—'
          : a.withinBudget
            ? badge('within stability budget', 'ok')
            : badge('stability budget exceeded', 'bad'),
      ),
      // docs/domain.md "Lot assessment": over the windows of all its excursions, and over its custody so far.
      h('dt', {}, 'Lot MKT over its excursions'),
      h('dd', { 'data-k': 'mkt-excursions' }, fmtNum(a?.mktC, 2, ' °C')),
      h('dt', {}, 'Lot MKT over its custody so far'),
      h('dd', { 'data-k': 'mkt-custody' }, fmtNum(a?.custodyMktC, 2, ' °C')),
      ...decisionRows(decisions),
    ),
    lot.epcs?.length
      ? h(
          'details',
          { class: 'exposed-units' },
          h('summary', {}, `${lot.epcs.length} exposed units`),
          h(
            'ul',
            { class: 'units small' },
            (lot.units ?? lot.epcs.map((epc) => ({ epc }))).map((u) => h('li', {}, unitLabel(u))),
          ),
        )
      : null,
    lot.lotId && lot.lockedUnits > 0 ? releaseNeedsNotice(lot) : null,
    ...proposalRows(ex, lot, user, hasRole(user, 'qa', 'admin')),
    lot.lotId && (lot.lockedUnits > 0 || holdUndecided(hold)) ? dispositionForm(ex, lot, user) : null,
  );
}

async function renderAudit(ex, box) {
  // The same entries as `ex.audit`, in plain language (summary, names, changes) from the audit API.
  const entries = await api.get(
    `/api/v1/audit?entityType=excursion&entityId=${encodeURIComponent(ex.id)}&limit=10000`,
  );
  box.replaceChildren(h('h2', {}, 'Audit history'), auditTable(entries));
}
