import { describe, expect, it } from 'vitest';
import { CHART_BOX, renderExcursionReport } from '../../src/reports/excursion-report-pdf.js';
import { fmtDuration, pdfText } from '../../src/reports/pdf-text.js';
import { hasPoppler, inkRatio, pdfToText, renderPageGray } from './pdf-tools.js';
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
        '6.12 °C',
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
    'draws the chart: the chart area of page 1 holds lines, limits and the shaded excursion',
    async () => {
      const dpi = 50;
      const pdf = await renderExcursionReport(reportInput(), { creationDate: FIXED });
      const page = renderPageGray(pdf, 1, dpi);
      const chartInk = inkRatio(page, dpi, CHART_BOX);
      // shading alone covers ~25 % of the plot; an empty frame would be well under 5 %
      expect(chartInk).toBeGreaterThan(0.15);
      // the same region without series and with no excursion to shade is much lighter
      const bare = await renderExcursionReport(
        reportInput({
          series: [],
          excursion: { ...reportInput().excursion, startTs: T0 - 1e9, endTs: T0 - 1e9 + 1 },
          window: { fromTs: T0, toTs: T0 + 3_600_000 },
        }),
        { creationDate: FIXED },
      );
      expect(inkRatio(renderPageGray(bare, 1, dpi), dpi, CHART_BOX)).toBeLessThan(chartInk / 2);
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
