import type { Page } from 'playwright-core';

export interface ChartData {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  plot: { x: number; y: number; w: number; h: number };
  series: Array<{ sensor: string; points: Array<[number, number]> }>;
  /** Each limit line: its `data-c` and where it was really drawn (SVG user units, from its layout box). */
  limits: Array<{ c: number; drawnY: number; drawnX0: number; drawnX1: number }>;
  shade: { from: number; to: number | null };
  shadeBox: { x: number; width: number };
}

/** Reads what the SVG really drew: polyline vertices, limit lines, the shaded band, the axis domains. */
export async function readChart(page: Page): Promise<ChartData> {
  const svg = page.locator('#excursion-chart');
  const num = async (l: ReturnType<Page['locator']>, a: string) => Number(await l.getAttribute(a));
  const [px, py, pw, ph] = (await svg.getAttribute('data-plot'))!.split(',').map(Number) as [
    number,
    number,
    number,
    number,
  ];
  const shade = svg.locator('rect.excursion-shade').first();
  const series = [];
  for (const p of await svg.locator('polyline.series').all()) {
    series.push({
      sensor: (await p.getAttribute('data-sensor'))!,
      points: (await p.getAttribute('points'))!
        .trim()
        .split(/\s+/)
        .map((xy) => xy.split(',').map(Number) as [number, number]),
    });
  }
  // Layout boxes in CSS pixels, mapped back to the SVG's user units through the viewBox.
  const svgBox = (await svg.boundingBox())!;
  const viewBoxWidth = Number((await svg.getAttribute('viewBox'))!.split(/\s+/)[2]);
  const scale = svgBox.width / viewBoxWidth;
  const limits = [];
  for (const l of await svg.locator('line.limit').all()) {
    const box = (await l.boundingBox())!;
    limits.push({
      c: await num(l, 'data-c'),
      drawnY: (box.y + box.height / 2 - svgBox.y) / scale,
      drawnX0: (box.x - svgBox.x) / scale,
      drawnX1: (box.x + box.width - svgBox.x) / scale,
    });
  }
  const to = await shade.getAttribute('data-to');
  return {
    x0: await num(svg, 'data-x0'),
    x1: await num(svg, 'data-x1'),
    y0: await num(svg, 'data-y0'),
    y1: await num(svg, 'data-y1'),
    plot: { x: px, y: py, w: pw, h: ph },
    series,
    limits: limits.sort((a, b) => a.c - b.c),
    shade: { from: await num(shade, 'data-from'), to: to ? Number(to) : null },
    shadeBox: { x: await num(shade, 'x'), width: await num(shade, 'width') },
  };
}
