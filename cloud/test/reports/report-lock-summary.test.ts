import { describe, expect, it } from 'vitest';
import { renderExcursionReport } from '../../src/reports/excursion-report-pdf.js';
import { hasPoppler, pdfToText } from './pdf-tools.js';
import { reportInput, T0 } from './report-fixture.js';

const poppler = hasPoppler();
if (!poppler) console.warn('SKIPPED the PDF lock-summary checks: poppler-utils is not installed');

const MIN = 60_000;
const UNIT = 'urn:epc:id:sgtin:0614141.812345.1001';

/**
 * The report a QA reviewer reads: per lot, when its units were locked and what was decided, who reviewed and
 * approved, and the units' own lock entries in an annex rather than pages of per-unit rows in the excerpt.
 */
describe('excursion report: lock summary, decisions, approval and annex', () => {
  it.runIf(poppler)('summarises each lot and moves per-unit entries to the annex', async () => {
    const input = reportInput({
      reportId: 'RPT-2',
      supersedes: 'RPT-1',
      audit: [
        ...reportInput().audit,
        {
          seq: 43,
          at: T0 + 55 * MIN,
          actor: 'system',
          action: 'lock.created',
          detail: 'exposed',
          unit: UNIT,
        },
      ],
    });
    input.lots[0]!.firstLockedAt = T0 + 55 * MIN;
    input.lots[0]!.lastLockedAt = T0 + 70 * MIN;
    input.lots[0]!.decisions = ['release (40 units) by Anna Kowalska, 2025-03-10 11:10:00 UTC'];
    const text = pdfToText(await renderExcursionReport(input, { creationDate: new Date(0) }));
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('Report ID: RPT-2 (supersedes RPT-1)');
    expect(flat).toContain('2025-03-10 08:55');
    expect(flat).toContain('2025-03-10 09:10');
    expect(flat).toMatch(/release \(40 units\)/);
    // LOT-B777 has locked units and no decision line of its own (the table wraps the cell's words).
    expect(flat).toContain('pending QA');
    expect(flat).toContain('Review and approval');
    expect(flat).toMatch(/QA decision \(e-signed\)\s+Anna Kowalska/);
    expect(flat).toMatch(/QA decision \(e-signed\)\s+Jörg Müller/);
    // The unit's own entry is in the annex, after the excerpt, not in it.
    const annex = flat.indexOf('Annex A — units locked and decided');
    expect(annex).toBeGreaterThan(flat.indexOf('Audit trail excerpt'));
    expect(flat.indexOf(UNIT)).toBeGreaterThan(annex);
  });

  it.runIf(poppler)('says when nothing has been approved yet', async () => {
    const text = pdfToText(
      await renderExcursionReport(reportInput({ decisions: [] }), { creationDate: new Date(0) }),
    ).replace(/\s+/g, ' ');
    expect(text).toMatch(/QA decision pending – no decision has been signed yet/);
    expect(text).not.toContain('Annex A');
  });
});
