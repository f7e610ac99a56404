import { describe, expect, it } from 'vitest';
import { renderExcursionReport } from '../../src/reports/excursion-report-pdf.js';
import { hasPoppler, pdfToText } from './pdf-tools.js';
import { reportInput } from './report-fixture.js';

const poppler = hasPoppler();
if (!poppler) console.warn('SKIPPED PDF manifest text check: poppler-utils (pdftotext) is not installed');

describe('excursion report: signed manifests (21 CFR 11.70)', () => {
  it.runIf(poppler)('prints the manifest hash of a decision that has one, and none otherwise', async () => {
    const input = reportInput();
    const hash = 'ab'.repeat(32);
    const plain = pdfToText(await renderExcursionReport(input));
    expect(plain).toContain('Signed by: Anna Kowalska');
    expect(plain).not.toContain('Signed manifest SHA-256');
    const [first, ...rest] = input.decisions;
    const signed = pdfToText(
      await renderExcursionReport({ ...input, decisions: [{ ...first!, manifestHash: hash }, ...rest] }),
    );
    expect(signed).toContain(`Signed manifest SHA-256: ${hash}`);
    expect(signed.split('Signed manifest SHA-256').length - 1).toBe(1);
  });
});
