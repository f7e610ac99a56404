import { describe, expect, it } from 'vitest';
import { renderExcursionReport } from '../../src/reports/excursion-report-pdf.js';
import { calibrationNotes, sensorLabel } from '../../src/reports/report-sensors.js';
import { hasPoppler, pdfToText } from './pdf-tools.js';
import { reportInput } from './report-fixture.js';

const poppler = hasPoppler();
if (!poppler)
  console.warn('SKIPPED the PDF text check of sensor calibration: poppler-utils is not installed');

const DAY = 24 * 3600_000;
const due = Date.UTC(2025, 2, 1);
const valid = {
  id: 'T1',
  name: 'Fridge probe 1',
  serialNumber: '4711',
  calibration: {
    certificate: 'CAL-1',
    calibratedAt: due - 365 * DAY,
    dueAt: due + 365 * DAY,
    state: 'valid' as const,
  },
};
const overdue = {
  id: 'T2',
  name: 'Fridge probe 2',
  serialNumber: null,
  calibration: { certificate: 'CAL-2', calibratedAt: due - 365 * DAY, dueAt: due, state: 'overdue' as const },
};
const none = { id: 'T3', name: 'T3', serialNumber: 'X9', calibration: null };

describe('sensors and calibration on the excursion report', () => {
  it('labels each sensor with serial and calibration, and notes the ones not covered', () => {
    expect(sensorLabel(valid)).toBe('Fridge probe 1 (SN 4711, calibrated, due 2026-03-01)');
    expect(sensorLabel(overdue)).toBe('Fridge probe 2 (calibration OVERDUE since 2025-03-01)');
    expect(sensorLabel(none)).toBe('T3 (SN X9, no calibration recorded)');
    expect(calibrationNotes([valid])).toEqual([]);
    const notes = calibrationNotes([valid, overdue, none]);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/Fridge probe 2 .*certificate CAL-2 does not cover the whole excursion/);
    expect(notes[1]).toMatch(/T3: no calibration is recorded/);
  });

  it.runIf(poppler)('prints them in the statistics and as notes', async () => {
    const input = reportInput();
    input.excursion.sensors = [valid, overdue];
    const text = pdfToText(await renderExcursionReport(input, { creationDate: new Date(0) })).replace(
      /\s+/g,
      ' ',
    );
    expect(text).toContain('Fridge probe 1 (SN 4711, calibrated, due 2026-03-01)');
    expect(text).toContain('certificate CAL-2 does not cover the whole excursion');
  });
});
