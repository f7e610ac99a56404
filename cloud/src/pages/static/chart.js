// Temperature chart as SVG: one polyline per sensor, limits as dashed lines, the excursion shaded; or, for
// long ranges, a min/max band and a mean line per location from the reading rollups.
// The plotted data stays readable for tests and tools: each polyline carries data-sensor and
// data-count, and the svg carries the axis domains (data-x0/x1/y0/y1) and plot box so any point can be
// mapped back to (ts, °C).
const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#1f6feb', '#8250df', '#1a7f37', '#bf8700', '#cf222e', '#0a7ea4'];

function el(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function niceStep(span, target) {
  const raw = span / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/** Label size on screen, in CSS px, whatever width the chart is shown at (never below 10 px). */
const FONT_PX = 11;
/** Narrower than this the chart is drawn at this width and scaled down, its font scaled up to match. */
const MIN_DRAW_WIDTH = 300;
const LEGEND_STEP = 120;
/** Characters of a sensor's name that fit in its legend slot. */
const LEGEND_CHARS = 17;

/**
 * An SVG chart that is redrawn at the width it is shown at (a phone shows it ~350 px wide): its text keeps
 * FONT_PX on screen instead of shrinking with a fixed viewBox. The element stays the same; its data
 * attributes describe the current drawing.
 *
 * @param {{ series: Array<{ sensorId: string, points: Array<{ ts: number, tempC: number|null }> }>,
 *           bands?: Array<{ id: string, label?: string, buckets: Array<{ start: number, end: number,
 *             minC: number, maxC: number, meanC: number }> }>,
 *           minC?: number, maxC?: number, shade?: { from: number, to: number|null }[],
 *           late?: { from: number, to: number }[], marks?: { ts: number, label: string }[],
 *           width?: number, height?: number, title?: string }} opts
 * @returns {SVGSVGElement}
 */
export function temperatureChart(opts) {
  const preferred = opts.width ?? 880;
  // No width/height attributes: the CSS width (100%, at most `preferred`) and the viewBox's aspect ratio
  // size it, so a redraw at a new width keeps the drawing's height and the text's size on screen.
  const svg = el('svg', { class: 'chart', role: 'img', 'aria-label': opts.title ?? 'Temperature chart' });
  svg.style.maxWidth = `${preferred}px`; // CSSOM, which the CSP (style-src 'self') allows
  draw(svg, opts, preferred);
  svg.setAttribute('font-size', String(FONT_PX));
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => {
      const shown = svg.getBoundingClientRect().width;
      if (!shown) return;
      const target = Math.max(MIN_DRAW_WIDTH, Math.min(preferred, Math.round(shown)));
      if (target !== Number(svg.getAttribute('data-width'))) draw(svg, opts, target);
      svg.setAttribute('font-size', String(Math.round(((FONT_PX * target) / shown) * 100) / 100));
    }).observe(svg);
  }
  return svg;
}

/** Draws the chart into `svg` (replacing what it held) for a drawing `width` units wide. */
function draw(svg, opts, width) {
  const pad = { left: 52, right: 16, top: 16, bottom: 40 };
  const plotW = width - pad.left - pad.right;
  // The legend wraps onto more lines when the sensors do not fit beside the axis label.
  const perRow = Math.max(1, Math.floor((plotW - 70) / LEGEND_STEP));
  const bands = opts.bands ?? [];
  const legendRows = Math.max(1, Math.ceil((opts.series.length + bands.length) / perRow));
  const height = (opts.height ?? 320) + (legendRows - 1) * 16;
  const plotH = height - pad.top - pad.bottom - (legendRows - 1) * 16;
  svg.replaceChildren();
  const all = opts.series.flatMap((s) => s.points).filter((p) => p.tempC !== null && p.tempC !== undefined);
  const buckets = bands.flatMap((b) => b.buckets);
  const shades = (opts.shade ?? []).filter(Boolean);
  let x0 = Math.min(...all.map((p) => p.ts), ...buckets.map((b) => b.start), ...shades.map((s) => s.from));
  let x1 = Math.max(
    ...all.map((p) => p.ts),
    ...buckets.map((b) => b.end),
    ...shades.map((s) => s.to ?? s.from),
  );
  if (!Number.isFinite(x0)) {
    x0 = Date.now() - 3600_000;
    x1 = Date.now();
  }
  if (x1 === x0) x1 = x0 + 60_000;
  const temps = [...all.map((p) => p.tempC), ...buckets.flatMap((b) => [b.minC, b.maxC])];
  if (opts.minC !== undefined) temps.push(opts.minC);
  if (opts.maxC !== undefined) temps.push(opts.maxC);
  let y0 = Math.min(...temps, 0);
  let y1 = Math.max(...temps, 10);
  const margin = (y1 - y0) * 0.08 || 1;
  y0 = Math.floor(y0 - margin);
  y1 = Math.ceil(y1 + margin);

  const sx = (ts) => pad.left + ((ts - x0) / (x1 - x0)) * plotW;
  const sy = (c) => pad.top + (1 - (c - y0) / (y1 - y0)) * plotH;
  const r2 = (v) => Math.round(v * 100) / 100;

  for (const [k, v] of Object.entries({
    viewBox: `0 0 ${width} ${height}`,
    'data-width': width,
    'data-x0': x0,
    'data-x1': x1,
    'data-y0': y0,
    'data-y1': y1,
    'data-plot': `${pad.left},${pad.top},${plotW},${plotH}`,
  }))
    svg.setAttribute(k, String(v));
  svg.append(el('rect', { x: pad.left, y: pad.top, width: plotW, height: plotH, class: 'plot-bg' }));

  for (const s of shades) {
    const a = sx(Math.max(x0, s.from));
    const b = sx(Math.min(x1, s.to ?? x1));
    svg.append(
      el('rect', {
        class: 'excursion-shade',
        x: r2(a),
        y: pad.top,
        width: r2(Math.max(1, b - a)),
        height: plotH,
        'data-from': s.from,
        'data-to': s.to ?? '',
      }),
    );
  }

  // Data that reached the cloud late (an uplink outage): shaded amber, under the lines.
  for (const s of opts.late ?? []) {
    const a = sx(Math.max(x0, s.from));
    const b = sx(Math.min(x1, s.to));
    svg.append(
      el('rect', {
        class: 'late-shade',
        x: r2(a),
        y: pad.top,
        width: r2(Math.max(2, b - a)),
        height: plotH,
        'data-from': s.from,
        'data-to': s.to,
      }),
    );
  }

  // Grid and axes.
  const yStep = niceStep(y1 - y0, 6);
  for (let v = Math.ceil(y0 / yStep) * yStep; v <= y1 + 1e-9; v += yStep) {
    const y = r2(sy(v));
    svg.append(el('line', { class: 'grid', x1: pad.left, x2: pad.left + plotW, y1: y, y2: y }));
    svg.append(el('text', { class: 'tick', x: pad.left - 6, y: y + 4, 'text-anchor': 'end' }, `${r2(v)}`));
  }
  svg.append(el('text', { class: 'axis-label', x: 12, y: pad.top + 10 }, '°C'));
  const spanMs = x1 - x0;
  // About one time label per 70 units, so they never overlap (up to 6 intervals).
  const xTicks = Math.max(2, Math.min(6, Math.floor(plotW / 70)));
  for (let i = 0; i <= xTicks; i++) {
    const ts = x0 + (spanMs * i) / xTicks;
    const x = r2(sx(ts));
    const d = new Date(ts).toISOString();
    const label = spanMs > 2 * 86400_000 ? d.slice(5, 10) : d.slice(11, 16);
    svg.append(el('line', { class: 'grid', x1: x, x2: x, y1: pad.top, y2: pad.top + plotH }));
    svg.append(el('text', { class: 'tick', x, y: pad.top + plotH + 16, 'text-anchor': 'middle' }, label));
  }
  svg.append(
    el(
      'text',
      { class: 'axis-label', x: pad.left + plotW, y: height - 6, 'text-anchor': 'end' },
      'time (UTC)',
    ),
  );

  for (const [name, v] of [
    ['min', opts.minC],
    ['max', opts.maxC],
  ]) {
    if (v === undefined || v === null) continue;
    const y = r2(sy(v));
    svg.append(
      el('line', {
        class: `limit limit-${name}`,
        x1: pad.left,
        x2: pad.left + plotW,
        y1: y,
        y2: y,
        'data-c': v,
      }),
    );
    svg.append(
      el(
        'text',
        { class: 'limit-label', x: pad.left + plotW - 4, y: y - 4, 'text-anchor': 'end' },
        `${name} ${v} °C`,
      ),
    );
  }

  // Moments marked on the time axis, e.g. when the alarm fired.
  for (const m of opts.marks ?? []) {
    if (m.ts < x0 || m.ts > x1) continue;
    const x = r2(sx(m.ts));
    svg.append(
      el('line', { class: 'mark', x1: x, x2: x, y1: pad.top, y2: pad.top + plotH, 'data-ts': m.ts }),
    );
    svg.append(el('text', { class: 'mark-label', x: x + 3, y: pad.top + 12 }, m.label));
  }

  const legend = (i, id, label) => {
    const color = COLORS[i % COLORS.length];
    const row = Math.floor(i / perRow);
    // The name (the id when there is none), cut to its legend slot; the full name and id on hover.
    const name = label ?? id;
    const text = el(
      'text',
      {
        class: 'legend',
        x: pad.left + 8 + (i % perRow) * LEGEND_STEP,
        y: height - 6 - (legendRows - 1 - row) * 16,
        fill: color,
      },
      `■ ${name.length > LEGEND_CHARS ? `${name.slice(0, LEGEND_CHARS - 1)}…` : name}`,
    );
    text.append(el('title', {}, name === id ? name : `${name} (${id})`));
    svg.append(text);
    return color;
  };

  bands.forEach((b, i) => {
    const color = legend(i, b.id, b.label);
    drawBand(svg, b, { sx, sy, r2, color });
  });

  opts.series.forEach((s, i) => {
    const pts = s.points.filter((p) => p.tempC !== null && p.tempC !== undefined);
    const color = legend(bands.length + i, s.sensorId, s.label);
    svg.append(
      el('polyline', {
        class: 'series',
        fill: 'none',
        stroke: color,
        'stroke-width': 1.8,
        points: pts.map((p) => `${r2(sx(p.ts))},${r2(sy(p.tempC))}`).join(' '),
        'data-sensor': s.sensorId,
        'data-count': pts.length,
      }),
    );
  });
}

/**
 * One location's rollup buckets: per run of adjacent buckets a polygon from each bucket's maximum (top) to
 * its minimum (bottom), drawn as steps so a bucket's extremes span its whole width, and the mean through the
 * buckets' middles. Each polygon carries its run's time span and extremes (data-from/to/min/max).
 */
function drawBand(svg, band, { sx, sy, r2, color }) {
  const runs = [];
  for (const b of [...band.buckets].sort((x, y) => x.start - y.start)) {
    const run = runs[runs.length - 1];
    if (run && run[run.length - 1].end === b.start) run.push(b);
    else runs.push([b]);
  }
  for (const run of runs) {
    const top = run.flatMap((b) => [
      `${r2(sx(b.start))},${r2(sy(b.maxC))}`,
      `${r2(sx(b.end))},${r2(sy(b.maxC))}`,
    ]);
    const bottom = [...run]
      .reverse()
      .flatMap((b) => [`${r2(sx(b.end))},${r2(sy(b.minC))}`, `${r2(sx(b.start))},${r2(sy(b.minC))}`]);
    svg.append(
      el('polygon', {
        class: 'band',
        fill: color,
        'fill-opacity': 0.25,
        stroke: 'none',
        points: [...top, ...bottom].join(' '),
        'data-location': band.id,
        'data-from': run[0].start,
        'data-to': run[run.length - 1].end,
        'data-min': Math.min(...run.map((b) => b.minC)),
        'data-max': Math.max(...run.map((b) => b.maxC)),
      }),
    );
    svg.append(
      el('polyline', {
        class: 'mean',
        fill: 'none',
        stroke: color,
        'stroke-width': 1.5,
        points: run.map((b) => `${r2(sx((b.start + b.end) / 2))},${r2(sy(b.meanC))}`).join(' '),
        'data-location': band.id,
        'data-count': run.length,
      }),
    );
  }
}

/**
 * Spans of readings that reached the cloud more than `lateMs` after they were measured (receivedAt − ts): an
 * uplink outage, or a gateway catching up. Consecutive late readings (in time order, any sensor) make one
 * span; an on-time reading ends it.
 */
export function lateSpans(readings, lateMs = 5 * 60_000) {
  const spans = [];
  let open = null;
  for (const r of [...readings].sort((a, b) => a.ts - b.ts)) {
    const late = typeof r.receivedAt === 'number' && r.receivedAt - r.ts > lateMs;
    if (late && open) open.to = r.ts;
    else if (late) {
      open = { from: r.ts, to: r.ts };
      spans.push(open);
    } else open = null;
  }
  return spans;
}

/**
 * Groups API readings ({ sensorId, ts, tempC }) into one series per sensor, in time order; `labelOf(id)` names
 * a sensor in the legend (default: its id).
 */
export function seriesBySensor(readings, labelOf = (id) => id) {
  const by = new Map();
  for (const r of readings) {
    if (!by.has(r.sensorId)) by.set(r.sensorId, []);
    by.get(r.sensorId).push({ ts: r.ts, tempC: r.tempC });
  }
  return [...by.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([sensorId, points]) => ({
      sensorId,
      label: labelOf(sensorId),
      points: points.sort((a, b) => a.ts - b.ts),
    }));
}
