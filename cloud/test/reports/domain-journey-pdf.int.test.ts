import { describe, expect, it } from 'vitest';
import { CHART_BOX } from '../../src/reports/excursion-report-pdf.js';
import { pdfText } from '../../src/reports/pdf-text.js';
import { LIMIT_COLOURS, SERIES_COLOURS } from '../../src/reports/temperature-chart.js';
import { EPCS_A, EPCS_B, GTIN_A, GTIN_B, MIN, useDomainJourney } from './domain-journey-fixture.js';
import { colourMatch, hasPoppler, hexRgb, pdfToText, renderPageRgb } from './pdf-tools.js';

// The PDF excursion report of the journey in domain-journey-fixture.ts (its EPCIS export and rejected
// stock: domain-journey.int.test.ts).

const j = useDomainJourney();

describe('PDF excursion report, wired to the domain engine', () => {
  it('lists the affected lots with their assessment, both signatures and the audit excerpt, with the chart', async () => {
    const res = await j.api('GET', `/api/v1/excursions/${encodeURIComponent(j.excursionId)}/report.pdf`);
    expect(res.status).toBe(200);
    const pdf = (
      await j.cloud.app.inject({
        headers: j.admin,
        url: `/api/v1/excursions/${encodeURIComponent(j.excursionId)}/report.pdf`,
      })
    ).rawPayload;
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    if (!hasPoppler()) {
      console.warn('SKIPPED PDF text and chart checks: poppler-utils (pdftotext, pdftoppm) is not installed');
      return;
    }
    const text = pdfToText(pdf);
    const flat = text.replace(/\s+/g, ' ');
    // Affected lots: lot numbers, GTIN, product, exposed / locked / total, where now, budget, MKT.
    expect(flat).toContain('A-2026-01');
    expect(flat).toContain('B-2026-07');
    expect(flat).toContain(GTIN_A);
    expect(flat).toContain('Vaccine A');
    expect(flat).toContain('Insulin B');
    expect(flat).toContain('2 / 0 / 2');
    expect(flat).toContain('Store 3: 2');
    expect(flat).toContain('Truck 7: 2');
    expect(flat).toMatch(/EXCEEDED/); // lot B: 40 min outside 2..8 °C vs a 10 min budget
    expect(flat).not.toContain('not available from this j.cloud build');
    const lotB = (await j.ok('GET', '/api/v1/lots/LOT-B')).json();
    expect(lotB.timeOutsideMs).toBeGreaterThan(10 * MIN);
    expect(lotB.mktC).not.toBeNull();
    expect(flat).toContain(`${lotB.mktC.toFixed(2)} °C`);
    // Both lot MKTs, labelled: over its excursions and over its custody so far (lot-mkt.test.ts has the math).
    // (The narrow cells wrap, so they are read in the order they were drawn.)
    const drawn = pdfToText(pdf, { layout: false }).replace(/\s+/g, ' ');
    expect(drawn).toContain('MKT °C over its excursions / over custody so far');
    expect(lotB.custodyMktC).not.toBeNull();
    expect(lotB.custodyMktC).not.toBeCloseTo(lotB.mktC, 2);
    expect(drawn).toContain(`${lotB.mktC.toFixed(2)} / ${lotB.custodyMktC.toFixed(2)}`);
    // Names instead of ids: lots by their number (the id beside it), units by GTIN and serial, the
    // sensor by its name; no hex EPC and no EPC URI anywhere.
    expect(flat).toContain('RELEASE — lot A-2026-01 (LOT-A) (2 units)');
    expect(flat).toContain('REJECT — lot B-2026-07 (LOT-B) (2 units)');
    expect(flat).toContain(`GTIN ${GTIN_A} serial 1`);
    expect(flat).toContain(`GTIN ${GTIN_B} serial 4`);
    expect(flat).toContain('Reefer probe A');
    for (const hex of [...EPCS_A, ...EPCS_B]) expect(flat).not.toContain(hex);
    expect(flat).not.toContain('urn:epc:id');
    expect(flat).toContain(`Signed by: Anna Quality (${j.qa.username})`);
    expect(flat).toContain('Signed by: Bruno Pr');
    expect(flat).toContain('Meaning: Release: I have reviewed the temperature excursion');
    expect(flat).toContain('Meaning: Reject: I have reviewed the temperature excursion');
    expect(flat).toContain('Reason: Stability budget exceeded');
    // Audit excerpt: the excursion's entries, the locks, the signed dispositions.
    for (const action of [
      'excursion.opened',
      'lock.created',
      'disposition.release',
      'disposition.reject',
      'excursion.decided',
    ])
      expect(flat).toContain(action);
    // The excerpt says what the excursion page's audit history says (GET /api/v1/audit, which the page
    // shows): the same plain-language entry and the printed name of who acted, for every entry.
    const history = (
      await j.ok(
        'GET',
        `/api/v1/audit?entityType=excursion&entityId=${encodeURIComponent(j.excursionId)}&limit=10000`,
      )
    ).json() as Array<{ summary: string; actorName: string; actor: string }>;
    expect(history.length).toBeGreaterThan(2);
    for (const e of history) {
      expect(drawn).toContain(pdfText(e.summary).replace(/\s+/g, ' '));
      expect(drawn).toContain(e.actorName === e.actor ? e.actor : `${e.actorName} (${e.actor})`);
    }
    expect(history.some((e) => e.actorName === 'Anna Quality')).toBe(true);
    // Per lot: the decision signed on it; review and approval; the units' lock entries in the annex; an id
    // stable for this revision (the same download twice gives the same id).
    expect(flat).toContain('release (2 units) by');
    expect(flat).toContain('reject (2 units) by');
    expect(flat).toContain('Review and approval');
    expect(flat.indexOf('Annex A — units locked and decided')).toBeGreaterThan(
      flat.indexOf('Audit trail excerpt'),
    );
    const id = /Report ID: (RPT-[0-9A-F]{12}) \(supersedes (RPT-[0-9A-F]{12})\)/.exec(flat);
    expect(id).not.toBeNull();
    const again = pdfToText(
      (
        await j.cloud.app.inject({
          headers: j.admin,
          url: `/api/v1/excursions/${encodeURIComponent(j.excursionId)}/report.pdf`,
        })
      ).rawPayload,
    );
    expect(again).toContain(`Report ID: ${id![1]}`);
    // The chart: inside the plot on page 1, the first sensor's line (its colour, fully covered pixels)
    // and both limit lines; shading alone would not give these colours (excursion-report-pdf.test.ts
    // checks the line's position reading by reading).
    const k = 2;
    const img = renderPageRgb(pdf, 1, 72 * k);
    const inPlot = (hex: string, minAlpha: number, maxError: number) => {
      let n = 0;
      for (let y = Math.ceil(CHART_BOX.y * k) + 2; y < (CHART_BOX.y + CHART_BOX.height) * k - 2; y++)
        for (let x = Math.ceil(CHART_BOX.x * k) + 2; x < (CHART_BOX.x + CHART_BOX.width) * k - 2; x++) {
          const m = colourMatch(img, x, y, hexRgb(hex));
          if (m.alpha > minAlpha && m.error < maxError) n++;
        }
      return n;
    };
    expect(inPlot(SERIES_COLOURS[0]!, 0.85, 12)).toBeGreaterThan(300);
    expect(inPlot(LIMIT_COLOURS.max, 0.85, 12)).toBeGreaterThan(300);
    expect(inPlot(LIMIT_COLOURS.min, 0.85, 12)).toBeGreaterThan(300);
  });
});
