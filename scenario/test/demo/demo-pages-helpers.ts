import type { Locator, Page } from 'playwright-core';

/** The parts of `GET /api/v1/excursions/:id` (cloud/src/http/routes/excursions.ts) the page test reads. */
export interface ExcursionView {
  id: string;
  locationId: string;
  startTs: number;
  endTs: number | null;
  peakC: number;
  critical: boolean;
  reviewState: string;
  affectedLots: Array<{
    lotId: string | null;
    lockedUnits: number;
    releasedUnits: number;
    rejectedUnits: number;
    exposedUnits: number;
    totalUnits: number;
    epcs: string[];
    assessment: {
      timeOutsideMs: number;
      withinBudget: boolean | null;
      product: { stabilityBudgetMs: number } | null;
    } | null;
  }>;
  dispositions: Array<{
    lotId: string | null;
    decision: string;
    units: number;
    signature: { username: string; printedName: string };
  }>;
  audit: Array<{ seq: number; action: string; actor: string }>;
}

/** Lock rows of an excursion (`GET /api/v1/locks?excursionId=`) counted per lot and state. */
export function lockStates(
  locks: ReadonlyArray<{ epc: string; state: string }>,
  lots: ReadonlyArray<{ id: string; epcs: ReadonlySet<string> }>,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const l of locks) {
    const epc = l.epc.toUpperCase();
    const lot = lots.find((x) => x.epcs.has(epc))?.id ?? '(no lot)';
    const states = out[lot] ?? {};
    states[l.state] = (states[l.state] ?? 0) + 1;
    out[lot] = states;
  }
  return out;
}

export interface ApiReading {
  sensorId: string;
  ts: number;
  tempC: number;
}

export interface ChartData {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  plot: { x: number; y: number; w: number; h: number };
  series: Array<{ sensor: string; count: number; points: Array<[number, number]> }>;
  limits: number[];
  shade: { from: number; to: number | null };
  shadeBox: { x: number; width: number };
}

/**
 * Reads what the SVG of `#excursion-chart` really drew (cloud/src/pages/static/chart.js): polyline
 * vertices, limit lines, the shaded band and the axis domains, as cloud/test/pages/qa-pages does.
 */
export async function readChart(page: Page): Promise<ChartData> {
  const svg = page.locator('#excursion-chart');
  const num = async (l: Locator, a: string) => Number(await l.getAttribute(a));
  const [px, py, pw, ph] = (await svg.getAttribute('data-plot'))!.split(',').map(Number) as [
    number,
    number,
    number,
    number,
  ];
  const shade = svg.locator('rect.excursion-shade').first();
  const series: ChartData['series'] = [];
  for (const p of await svg.locator('polyline.series').all()) {
    const raw = (await p.getAttribute('points')) ?? '';
    series.push({
      sensor: (await p.getAttribute('data-sensor'))!,
      count: await num(p, 'data-count'),
      points: raw.trim()
        ? raw
            .trim()
            .split(/\s+/)
            .map((xy) => xy.split(',').map(Number) as [number, number])
        : [],
    });
  }
  const limits: number[] = [];
  for (const l of await svg.locator('line.limit').all()) limits.push(await num(l, 'data-c'));
  const to = await shade.getAttribute('data-to');
  return {
    x0: await num(svg, 'data-x0'),
    x1: await num(svg, 'data-x1'),
    y0: await num(svg, 'data-y0'),
    y1: await num(svg, 'data-y1'),
    plot: { x: px, y: py, w: pw, h: ph },
    series,
    limits: limits.sort((a, b) => a - b),
    shade: { from: await num(shade, 'data-from'), to: to ? Number(to) : null },
    shadeBox: { x: await num(shade, 'x'), width: await num(shade, 'width') },
  };
}

/** Maps a drawn vertex back to (ts, °C) through the chart's axis domains, and the size of one pixel. */
export function chartScale(c: ChartData): {
  msPerPx: number;
  cPerPx: number;
  toData: (p: [number, number]) => { ts: number; tempC: number };
  xOf: (ts: number) => number;
} {
  const msPerPx = (c.x1 - c.x0) / c.plot.w;
  const cPerPx = (c.y1 - c.y0) / c.plot.h;
  return {
    msPerPx,
    cPerPx,
    toData: ([x, y]) => ({ ts: c.x0 + (x - c.plot.x) * msPerPx, tempC: c.y1 - (y - c.plot.y) * cPerPx }),
    xOf: (ts) => c.plot.x + (ts - c.x0) / msPerPx,
  };
}
