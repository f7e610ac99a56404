// Temperature chart as SVG: one polyline per sensor, limits as dashed lines, the excursion shaded.
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

/**
 * @param {{ series: Array<{ sensorId: string, points: Array<{ ts: number, tempC: number|null }> }>,
 *           minC?: number, maxC?: number, shade?: { from: number, to: number|null }[],
 *           width?: number, height?: number, title?: string }} opts
 * @returns {SVGSVGElement}
 */
export function temperatureChart(opts) {
  const width = opts.width ?? 880;
  const height = opts.height ?? 320;
  const pad = { left: 52, right: 16, top: 16, bottom: 40 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const all = opts.series.flatMap((s) => s.points).filter((p) => p.tempC !== null && p.tempC !== undefined);
  const shades = (opts.shade ?? []).filter(Boolean);
  let x0 = Math.min(...all.map((p) => p.ts), ...shades.map((s) => s.from));
  let x1 = Math.max(...all.map((p) => p.ts), ...shades.map((s) => s.to ?? s.from));
  if (!Number.isFinite(x0)) {
    x0 = Date.now() - 3600_000;
    x1 = Date.now();
  }
  if (x1 === x0) x1 = x0 + 60_000;
  const temps = all.map((p) => p.tempC);
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

  const svg = el('svg', {
    class: 'chart',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': opts.title ?? 'Temperature chart',
    'data-x0': x0,
    'data-x1': x1,
    'data-y0': y0,
    'data-y1': y1,
    'data-plot': `${pad.left},${pad.top},${plotW},${plotH}`,
  });
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

  // Grid and axes.
  const yStep = niceStep(y1 - y0, 6);
  for (let v = Math.ceil(y0 / yStep) * yStep; v <= y1 + 1e-9; v += yStep) {
    const y = r2(sy(v));
    svg.append(el('line', { class: 'grid', x1: pad.left, x2: pad.left + plotW, y1: y, y2: y }));
    svg.append(el('text', { class: 'tick', x: pad.left - 6, y: y + 4, 'text-anchor': 'end' }, `${r2(v)}`));
  }
  svg.append(el('text', { class: 'axis-label', x: 12, y: pad.top + 10 }, '°C'));
  const spanMs = x1 - x0;
  const xTicks = 6;
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

  opts.series.forEach((s, i) => {
    const pts = s.points.filter((p) => p.tempC !== null && p.tempC !== undefined);
    const color = COLORS[i % COLORS.length];
    const line = el('polyline', {
      class: 'series',
      fill: 'none',
      stroke: color,
      'stroke-width': 1.8,
      points: pts.map((p) => `${r2(sx(p.ts))},${r2(sy(p.tempC))}`).join(' '),
      'data-sensor': s.sensorId,
      'data-count': pts.length,
    });
    svg.append(line);
    svg.append(
      el(
        'text',
        { class: 'legend', x: pad.left + 8 + i * 120, y: height - 6, fill: color },
        `■ ${s.sensorId}`,
      ),
    );
  });
  return svg;
}

/** Groups API readings ({ sensorId, ts, tempC }) into one series per sensor, in time order. */
export function seriesBySensor(readings) {
  const by = new Map();
  for (const r of readings) {
    if (!by.has(r.sensorId)) by.set(r.sensorId, []);
    by.get(r.sensorId).push({ ts: r.ts, tempC: r.tempC });
  }
  return [...by.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([sensorId, points]) => ({ sensorId, points: points.sort((a, b) => a.ts - b.ts) }));
}
