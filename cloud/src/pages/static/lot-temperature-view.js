import { api } from './api.js';
import { seriesBySensor, temperatureChart } from './chart.js';
import { excursionLink } from './names.js';
import { badge, errorBox, fmtTime, h } from './ui.js';

/** Rollup buckets drawn in the custody chart at most (the server pages them; beyond this it says so). */
const MAX_CHART_BUCKETS = 100_000;
/** Readings drawn in the raw chart at most. */
const MAX_CHART_READINGS = 100_000;
/** The raw view opens on the last day of data; a stay, an excursion or a range is one choice away. */
const DEFAULT_RAW_MS = 24 * 3_600_000;
/** Raw readings shown around an excursion, before its start and after its end. */
const AROUND_EXCURSION_MS = 30 * 60_000;

/**
 * "Temperature across custody" on the lot page (docs/qa-pages.md "Lot page"): the whole custody as a min/max
 * band and a mean line per location from the reading rollups (GET /lots/:id/temperature/rollups), the
 * excursions of the stays shaded and listed, and the raw readings (GET /lots/:id/temperature) of a chosen
 * stay, excursion or time range. Answers the section and the lot's custody timeline (stays).
 */
export async function lotTemperatureSection(lotId, lot, names) {
  const enc = encodeURIComponent(lotId);
  let page = await api.get(`/api/v1/lots/${enc}/temperature/rollups?limit=10000`);
  const { intervals, resolution } = page;
  const items = [...page.items];
  const excursions = new Map(page.excursions.map((e) => [e.id, e]));
  while (page.nextCursor && items.length < MAX_CHART_BUCKETS) {
    page = await api.get(
      `/api/v1/lots/${enc}/temperature/rollups?limit=10000&resolution=${resolution}&cursor=${encodeURIComponent(page.nextCursor)}`,
    );
    items.push(...page.items);
    for (const e of page.excursions) excursions.set(e.id, e);
  }
  const truncated = page.nextCursor !== null;
  const exs = [...excursions.values()].sort((a, b) => a.start - b.start);
  const byLocation = new Map();
  for (const b of items) byLocation.set(b.locationId, [...(byLocation.get(b.locationId) ?? []), b]);
  const custodyStart = Math.min(...intervals.map((s) => s.from));
  const dataEnd = items.length ? Math.max(...items.map((b) => b.end)) : Date.now();

  const whole = items.length
    ? h(
        'figure',
        { class: 'chart-box', id: 'custody-chart', 'data-resolution': resolution },
        temperatureChart({
          series: [],
          bands: [...byLocation.entries()].map(([id, buckets]) => ({
            id,
            label: names.locationText(id),
            buckets,
          })),
          minC: lot.product?.minC,
          maxC: lot.product?.maxC,
          shade: exs.map((e) => ({ from: e.start, to: e.end })),
          title: `Temperature where lot ${lot.lotNumber} was, whole custody`,
        }),
        h(
          'figcaption',
          { class: 'muted' },
          `Whole custody from ${resolution === '5m' ? '5-minute' : 'hourly'} rollups: per location the band `,
          'runs from the lowest to the highest reading of each bucket, the line is the mean; shaded: excursions; ',
          'dashed: product tolerance. A bucket at the edge of a stay may include readings from just before the ',
          'lot arrived or after it left (never fewer than the stay’s). ',
          truncated ? `Showing the first ${items.length} buckets.` : '',
        ),
      )
    : h('p', { class: 'muted' }, 'No readings where this lot has been.');

  const excursionList = h(
    'ul',
    { id: 'custody-excursions' },
    exs.map((e) =>
      h(
        'li',
        { 'data-id': e.id },
        excursionLink({ id: e.id, startTs: e.start }, names.locationText(e.locationId)),
        ` – ${e.end === null ? 'ongoing' : fmtTime(e.end)}, peak ${e.peakC} °C `,
        e.critical ? badge('critical', 'bad') : null,
        ' ',
        h(
          'button',
          {
            type: 'button',
            class: 'raw-excursion',
            onclick: () =>
              showRaw(e.start - AROUND_EXCURSION_MS, (e.end ?? dataEnd) + AROUND_EXCURSION_MS, 'excursion'),
          },
          'Raw readings',
        ),
      ),
    ),
  );

  // The raw view: readings of one stay, an excursion or a range, drawn per sensor.
  const rawBox = h('div', { id: 'raw-view' });
  const rangeOf = (from, to) => `${from}:${to}`;
  const lastDay = rangeOf(Math.max(custodyStart, dataEnd - DEFAULT_RAW_MS), dataEnd);
  const select = h(
    'select',
    { id: 'raw-range', onchange: () => showRaw(...select.value.split(':').map(Number), 'choice') },
    h('option', { value: lastDay }, 'Last day of data'),
    intervals.map((s) =>
      h(
        'option',
        { value: rangeOf(s.from, s.to ?? dataEnd) },
        `${names.locationText(s.locationId)}: ${fmtTime(s.from)} – ${s.to === null ? 'now' : fmtTime(s.to)}`,
      ),
    ),
  );
  // A time range of the reader's choosing, in UTC like every time on the pages.
  // A lot without custody intervals (units without serial only) has no range: empty fields, no form shown.
  const utc = (ms) => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 16) : '');
  const fromIn = h('input', {
    type: 'datetime-local',
    id: 'raw-from',
    value: utc(Math.max(custodyStart, dataEnd - DEFAULT_RAW_MS)),
  });
  const toIn = h('input', { type: 'datetime-local', id: 'raw-to', value: utc(dataEnd) });
  const rangeForm = h(
    'form',
    {
      id: 'raw-range-form',
      onsubmit: (ev) => {
        ev.preventDefault();
        const [from, to] = [Date.parse(`${fromIn.value}Z`), Date.parse(`${toIn.value}Z`)];
        if (Number.isFinite(from) && Number.isFinite(to) && to > from) showRaw(from, to, 'range');
      },
    },
    h('label', {}, 'From (UTC) ', fromIn),
    ' ',
    h('label', {}, 'to ', toIn),
    ' ',
    h('button', { type: 'submit' }, 'Show readings'),
  );
  async function showRaw(from, to, why) {
    rawBox.replaceChildren(h('p', { class: 'muted' }, 'Loading readings…'));
    try {
      const base = `/api/v1/lots/${enc}/temperature?limit=20000&from=${Math.max(0, from)}&to=${to}`;
      let t = await api.get(base);
      const readings = [...t.readings];
      while (t.nextAfter && readings.length < MAX_CHART_READINGS) {
        t = await api.get(`${base}&after=${encodeURIComponent(t.nextAfter)}`);
        readings.push(...t.readings);
      }
      rawBox.replaceChildren(
        readings.length
          ? h(
              'figure',
              { class: 'chart-box', id: 'raw-chart', 'data-from': from, 'data-to': to, 'data-why': why },
              temperatureChart({
                series: seriesBySensor(readings, names.sensorText),
                minC: lot.product?.minC,
                maxC: lot.product?.maxC,
                shade: exs
                  .filter((e) => e.start < to && (e.end ?? to) > from)
                  .map((e) => ({ from: e.start, to: e.end })),
                title: `Readings where lot ${lot.lotNumber} was, ${fmtTime(from)} – ${fmtTime(to)}`,
              }),
              h(
                'figcaption',
                { class: 'muted' },
                `Every reading from ${fmtTime(from)} to ${fmtTime(to)} at the locations while the lot’s units were there.`,
                t.nextAfter !== null ? ` Showing the first ${readings.length} readings.` : '',
              ),
            )
          : h('p', { class: 'muted' }, 'No readings in this range.'),
      );
    } catch (err) {
      rawBox.replaceChildren(errorBox(err));
    }
  }
  if (intervals.length) await showRaw(...lastDay.split(':').map(Number), 'default');

  const section = h(
    'section',
    { id: 'lot-temperature' },
    h('h2', {}, 'Temperature across custody'),
    whole,
    exs.length ? h('h3', {}, 'Excursions during custody') : null,
    exs.length ? excursionList : null,
    h('h3', {}, 'Raw readings'),
    intervals.length ? h('p', {}, h('label', {}, 'Show ', select)) : null,
    intervals.length ? rangeForm : null,
    rawBox,
  );
  return { section, intervals };
}
