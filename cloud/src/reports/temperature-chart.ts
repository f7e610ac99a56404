import type PDFDocument from 'pdfkit';
import { fmtTime, pdfText } from './pdf-text.js';
import type { ReportLimits, ReportSeries } from './report-input.js';

type Doc = InstanceType<typeof PDFDocument>;

export interface ChartBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ChartSpec {
  box: ChartBox;
  fromTs: number;
  toTs: number;
  limits: ReportLimits;
  /** The excursion to shade: `[startTs, endTs ?? toTs]`. */
  shade: { fromTs: number; toTs: number; critical: boolean };
  series: readonly ReportSeries[];
}

/** Line colours per sensor, distinguishable in print and in grey. */
export const SERIES_COLOURS = ['#1f4e9a', '#2a8c3c', '#8a2be2', '#b8860b', '#008b8b', '#444444'];
/** Dashed limit lines (and their labels): max red, min blue. */
export const LIMIT_COLOURS = { max: '#d62728', min: '#1f77b4' } as const;

/**
 * Draws the temperature chart with pdfkit vector paths (PDF 32000-1 §8.5): frame and grid, the
 * location's limits as dashed lines, the excursion shaded, one polyline per sensor (broken at sensor
 * errors and at gaps), axis labels in UTC and a legend below the plot. Returns the y below the legend.
 *
 * Scale: time runs linearly from `fromTs` (left edge of `box`) to `toTs` (right edge); °C runs from
 * `floor(lo − pad)` (bottom) to `ceil(hi + pad)` (top), where lo/hi are the lowest/highest of the limits
 * and the readings inside the window and pad = max(1, 10 % of hi − lo).
 */
export function drawTemperatureChart(doc: Doc, spec: ChartSpec): number {
  const { box, limits } = spec;
  const fromTs = spec.fromTs;
  const toTs = spec.toTs > fromTs ? spec.toTs : fromTs + 60_000;
  const known = spec.series.flatMap((s) =>
    s.points.filter((p) => p.tempC !== null && p.ts >= fromTs && p.ts <= toTs).map((p) => p.tempC as number),
  );
  let lo = Math.min(limits.minC, ...known);
  let hi = Math.max(limits.maxC, ...known);
  const pad = Math.max(1, (hi - lo) * 0.1);
  lo = Math.floor(lo - pad);
  hi = Math.ceil(hi + pad);
  const px = (ts: number) => box.x + ((ts - fromTs) / (toTs - fromTs)) * box.width;
  const py = (c: number) => box.y + box.height - ((c - lo) / (hi - lo)) * box.height;

  doc.save();
  // shaded excursion
  const s0 = Math.max(fromTs, spec.shade.fromTs);
  const s1 = Math.min(toTs, spec.shade.toTs);
  if (s1 > s0) {
    doc
      .rect(px(s0), box.y, Math.max(1, px(s1) - px(s0)), box.height)
      .fillOpacity(0.25)
      .fill(spec.shade.critical ? '#d62728' : '#ff9f40');
    doc.fillOpacity(1);
  }
  // out-of-range bands above max and below min (light)
  doc
    .rect(box.x, box.y, box.width, Math.max(0, py(limits.maxC) - box.y))
    .fillOpacity(0.07)
    .fill('#d62728');
  doc
    .rect(box.x, py(limits.minC), box.width, Math.max(0, box.y + box.height - py(limits.minC)))
    .fillOpacity(0.07)
    .fill('#1f77b4');
  doc.fillOpacity(1);

  // grid and axis labels
  doc.lineWidth(0.3).strokeColor('#bbbbbb');
  doc.font('Helvetica').fontSize(7).fillColor('#333333');
  const yStep = niceStep((hi - lo) / 6);
  for (let c = Math.ceil(lo / yStep) * yStep; c <= hi + 1e-9; c += yStep) {
    const y = py(c);
    doc
      .moveTo(box.x, y)
      .lineTo(box.x + box.width, y)
      .stroke();
    doc.text(`${roundTo(c, yStep)}`, box.x - 28, y - 3, { width: 24, align: 'right', lineBreak: false });
  }
  const ticks = 6;
  for (let i = 0; i <= ticks; i++) {
    const ts = fromTs + ((toTs - fromTs) * i) / ticks;
    const x = px(ts);
    doc
      .moveTo(x, box.y)
      .lineTo(x, box.y + box.height)
      .stroke();
    const label = fmtTime(ts).slice(5, 16); // MM-DD hh:mm
    doc.text(label, x - 30, box.y + box.height + 3, { width: 60, align: 'center', lineBreak: false });
  }
  doc.text('°C', box.x - 28, box.y - 10, { width: 24, align: 'right', lineBreak: false });

  // limits
  doc.lineWidth(1).dash(4, { space: 3 });
  doc
    .strokeColor(LIMIT_COLOURS.max)
    .moveTo(box.x, py(limits.maxC))
    .lineTo(box.x + box.width, py(limits.maxC))
    .stroke();
  doc
    .strokeColor(LIMIT_COLOURS.min)
    .moveTo(box.x, py(limits.minC))
    .lineTo(box.x + box.width, py(limits.minC))
    .stroke();
  doc.undash();
  doc
    .fillColor(LIMIT_COLOURS.max)
    .text(`max ${limits.maxC} °C`, box.x + box.width - 62, py(limits.maxC) - 9, {
      width: 60,
      align: 'right',
      lineBreak: false,
    });
  doc
    .fillColor(LIMIT_COLOURS.min)
    .text(`min ${limits.minC} °C`, box.x + box.width - 62, py(limits.minC) + 2, {
      width: 60,
      align: 'right',
      lineBreak: false,
    });

  // series
  doc.lineWidth(1.2);
  spec.series.forEach((s, i) => {
    doc.strokeColor(SERIES_COLOURS[i % SERIES_COLOURS.length]!);
    let open = false;
    for (const p of s.points) {
      if (p.ts < fromTs || p.ts > toTs || p.tempC === null) {
        if (open) doc.stroke();
        open = false;
        continue;
      }
      const x = px(p.ts);
      const y = py(p.tempC);
      if (open) doc.lineTo(x, y);
      else {
        doc.moveTo(x, y);
        open = true;
      }
    }
    if (open) doc.stroke();
  });

  // frame
  doc.lineWidth(0.8).strokeColor('#000000').rect(box.x, box.y, box.width, box.height).stroke();

  // legend
  let lx = box.x;
  const ly = box.y + box.height + 16;
  doc.fontSize(8).fillColor('#000000');
  spec.series.forEach((s, i) => {
    const label = pdfText(s.sensorName ?? s.sensorId);
    doc.lineWidth(2).strokeColor(SERIES_COLOURS[i % SERIES_COLOURS.length]!);
    doc
      .moveTo(lx, ly + 4)
      .lineTo(lx + 14, ly + 4)
      .stroke();
    doc.text(label, lx + 17, ly, { lineBreak: false });
    lx += 24 + doc.widthOfString(label);
  });
  doc
    .rect(lx, ly, 14, 8)
    .fillOpacity(0.25)
    .fill(spec.shade.critical ? '#d62728' : '#ff9f40');
  doc
    .fillOpacity(1)
    .fillColor('#000000')
    .text('excursion', lx + 17, ly, { lineBreak: false });
  doc.restore();
  return ly + 16;
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-6)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function roundTo(c: number, step: number): string {
  const digits = step >= 1 ? 0 : Math.ceil(-Math.log10(step));
  return c.toFixed(digits);
}
