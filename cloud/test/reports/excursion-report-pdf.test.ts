import { describe, expect, it } from 'vitest';
import { CHART_BOX, renderExcursionReport } from '../../src/reports/excursion-report-pdf.js';
import { fmtDuration, pdfText } from '../../src/reports/pdf-text.js';
import { LIMIT_COLOURS, SERIES_COLOURS } from '../../src/reports/temperature-chart.js';
import { colourMatch, hasPoppler, hexRgb, pdfToText, renderPageRgb } from './pdf-tools.js';
import { reportInput, T0 } from './report-fixture.js';

const FIXED = new Date(Date.UTC(2025, 0, 1));
const poppler = hasPoppler();
if (!poppler)
  console.warn('SKIPPED PDF text/render checks: poppler-utils (pdftotext, pdftoppm) is not installed');

describe('renderExcursionReport', () => {
  it('produces a PDF, byte-identical for the same input and creation date', async () => {
    const a = await renderExcursionReport(reportInput(), { creationDate: FIXED });
    const b = await renderExcursionReport(reportInput(), { creationDate: FIXED });
    expect(a.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(a.equals(b)).toBe(true);
    const c = await renderExcursionReport(reportInput({ reportId: 'RPT-other' }), { creationDate: FIXED });
    expect(a.equals(c)).toBe(false);
  });

  it.runIf(poppler)(
    'holds header, statistics, lots, signatures, audit and page numbers as text',
    async () => {
      const text = pdfToText(await renderExcursionReport(reportInput(), { creationDate: FIXED }));
      for (const s of [
        'Temperature excursion report',
        'Report ID: RPT-2025-0001',
        'Generated at: 2025-03-10 11:20:00 UTC by qa.anna',
        'Software: coldtrace 0.1.0',
        'Truck 7 reefer (truck-7)',
        '2025-03-10 08:40:00 UTC', // start
        '2025-03-10 09:20:00 UTC', // end
        '40 min 00 s',
        '8.2 °C',
        '14.1 °C',
        '123.4 °C·min',
        '11.37 °C',
        'yes (critical margin passed)',
        'LOT-A123',
        '00614141812345',
        'Insulin glargine',
        '40 / 40 / 120',
        'Store 3: 40',
        'Cold room 1: 80',
        '6.12 /', // the lot's MKT over its excursions / over its custody so far
        '5.43',
        'LOT-B777',
        'EXCEEDED',
        'RELEASE — lot LOT-A123',
        'Signed by: Anna Kowalska (qa.anna)',
        'Meaning: approval (release)',
        'Signed at: 2025-03-10 11:10:00 UTC',
        'Reason: Stability data covers 2 h at 25 °C',
        'Signed by: Jörg Müller',
        'Meaning: rejection',
        'disposition.signed',
        'Page 1 of 2',
        'Page 2 of 2',
        'max 8 °C',
        'min 2 °C',
      ]) {
        expect(text, s).toContain(s);
      }
    },
  );

  it.runIf(poppler)(
    'draws each series through its readings, and the limit lines at their temperatures',
    async () => {
      const dpi = 144; // 2 px per PDF point
      const k = dpi / 72;
      const window = { fromTs: T0, toTs: T0 + 120 * 60_000 };
      const input = reportInput({ window });
      const img = renderPageRgb(await renderExcursionReport(input, { creationDate: FIXED }), 1, dpi);
      const box = CHART_BOX;

      // The scale the chart documents (temperature-chart.ts): time linear over the window; °C from
      // floor(lo − pad) to ceil(hi + pad), lo/hi over the limits and the readings, pad = max(1, 10 %).
      const temps = input.series.flatMap((s) =>
        s.points.filter((p) => p.tempC !== null && p.ts >= window.fromTs && p.ts <= window.toTs),
      );
      let lo = Math.min(input.limits.minC, ...temps.map((p) => p.tempC!));
      let hi = Math.max(input.limits.maxC, ...temps.map((p) => p.tempC!));
      const pad = Math.max(1, (hi - lo) * 0.1);
      lo = Math.floor(lo - pad);
      hi = Math.ceil(hi + pad);
      const px = (ts: number) =>
        (box.x + ((ts - window.fromTs) / (window.toTs - window.fromTs)) * box.width) * k;
      const py = (c: number) => (box.y + box.height - ((c - lo) / (hi - lo)) * box.height) * k;

      // The frame is where CHART_BOX says (so the mapping above addresses the plot).
      const black: [number, number, number] = [0, 0, 0];
      const frameLeft = Array.from({ length: 50 }, (_, i) => box.y * k + 10 + i * 6).filter(
        (y) => colourMatch(img, box.x * k, y, black).alpha > 0.5,
      );
      expect(frameLeft.length).toBeGreaterThan(45);

      /** A pixel of the series' colour (fully covered by its stroke) within 2 px of (x, y). */
      const strokeNear = (x: number, y: number, colour: [number, number, number]) => {
        for (let dy = -2; dy <= 2; dy++)
          for (let dx = -2; dx <= 2; dx++) {
            const m = colourMatch(img, x + dx, y + dy, colour);
            if (m.alpha > 0.85 && m.error < 12) return true;
          }
        return false;
      };
      input.series.forEach((series, i) => {
        const colour = hexRgb(SERIES_COLOURS[i]!);
        // Every third reading, in and out of the excursion, and the peaks of the sine wave.
        const checked = series.points.filter((p, j) => p.tempC !== null && j % 3 === 0);
        expect(checked.length).toBeGreaterThan(15);
        const missing = checked.filter((p) => !strokeNear(px(p.ts), py(p.tempC!), colour));
        expect(missing, `${series.sensorId}: readings without the series line at their position`).toEqual([]);
        // and not merely anywhere: 1.5 °C below each high reading there is no line of this colour.
        const high = checked.filter((p) => p.tempC! > 11);
        expect(high.length).toBeGreaterThan(3);
        expect(high.filter((p) => strokeNear(px(p.ts), py(p.tempC! - 1.5), colour))).toEqual([]);
      });

      // Limit lines: the row with the most dashes of the limit's colour (left 60 % of the plot, away
      // from the labels) is the row the limit maps to.
      const dashRow = (colour: [number, number, number], near: number) => {
        let best = { y: -1, n: 0 };
        for (let y = Math.round(near) - 8; y <= Math.round(near) + 8; y++) {
          let n = 0;
          for (let x = Math.ceil(box.x * k) + 2; x < (box.x + box.width * 0.6) * k; x++) {
            const m = colourMatch(img, x, y, colour);
            if (m.alpha > 0.45 && m.error < 40) n++;
          }
          if (n > best.n) best = { y, n };
        }
        return best;
      };
      const width = box.width * 0.6 * k;
      for (const [limit, c] of [
        ['max', input.limits.maxC],
        ['min', input.limits.minC],
      ] as const) {
        const row = dashRow(hexRgb(LIMIT_COLOURS[limit]), py(c));
        expect(
          Math.abs(row.y - py(c)),
          `${limit} limit line at row ${row.y}, expected ${py(c)}`,
        ).toBeLessThanOrEqual(1.5);
        expect(row.n / width, `${limit} limit line coverage`).toBeGreaterThan(0.4); // dashes 4 on, 3 off
      }

      // Control: the same chart without series has no pixel of a series colour in the plot.
      const bare = renderPageRgb(
        await renderExcursionReport(reportInput({ window, series: [] }), { creationDate: FIXED }),
        1,
        dpi,
      );
      let stray = 0;
      for (let y = Math.ceil(box.y * k); y < (box.y + box.height) * k; y += 2)
        for (let x = Math.ceil(box.x * k); x < (box.x + box.width) * k; x += 2)
          for (const hex of SERIES_COLOURS.slice(0, 2)) {
            const m = colourMatch(bare, x, y, hexRgb(hex));
            if (m.alpha > 0.85 && m.error < 12) stray++;
          }
      expect(stray).toBe(0);
    },
  );

  it.runIf(poppler)('shows an ongoing excursion, no lots and no decisions explicitly', async () => {
    const base = reportInput();
    const text = pdfToText(
      await renderExcursionReport(
        reportInput({
          excursion: { ...base.excursion, endTs: null, state: 'ongoing' },
          lots: [],
          decisions: [],
          audit: [],
          notes: ['lots and decisions wait for the domain engine'],
        }),
      ),
    );
    expect(text).toContain('ongoing');
    expect(text).toContain('(so far)');
    expect(text).toContain('No lot is affected');
    expect(text).toContain('No decision has been recorded yet');
    expect(text).toContain('No audit entries');
    expect(text).toContain('Note: lots and decisions wait for the domain engine');
  });

  it.runIf(poppler)('paginates long tables with page numbers on every page', async () => {
    const base = reportInput();
    const audit = Array.from({ length: 150 }, (_, i) => ({
      seq: i + 1,
      at: T0 + i * 1000,
      actor: 'system',
      action: 'reading.ingested',
      detail: `row ${i + 1}`,
    }));
    const text = pdfToText(await renderExcursionReport({ ...base, audit }));
    const pages = text.split('\f').filter((p) => p.trim() !== '');
    expect(pages.length).toBeGreaterThanOrEqual(4);
    for (const [i, p] of pages.entries()) expect(p).toContain(`Page ${i + 1} of ${pages.length}`);
    expect(text).toContain('row 150');
  });

  it('replaces characters the standard font cannot show, and rejects bad input with a clear error', async () => {
    expect(pdfText('Zoë – 5 °C ✓ 日本')).toBe('Zoë – 5 °C ? ??');
    // Arrows and comparison signs WinAnsi lacks are spelled out, not lost.
    expect(pdfText('state: pending → decided, ≤ 8 °C')).toBe('state: pending -> decided, <= 8 °C');
    expect(fmtDuration(3_723_000)).toBe('1 h 02 min');
    await expect(
      renderExcursionReport(
        reportInput({ limits: { minC: 8, maxC: 2, criticalMarginC: 1, alarmDelayMs: 0 } }),
      ),
    ).rejects.toThrow(/minC < maxC/);
    await expect(renderExcursionReport(reportInput({ generatedAt: Number.NaN }))).rejects.toThrow(
      /epoch milliseconds/,
    );
  });
});
