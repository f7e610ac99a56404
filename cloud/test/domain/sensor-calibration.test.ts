import { describe, expect, it } from 'vitest';
import {
  calibrationOf,
  calibrationProblem,
  calibrationState,
  calibrationStateOver,
  DEFAULT_DUE_SOON_MS,
} from '../../src/domain/sensor-calibration.js';

const DAY = 24 * 3600_000;
const cal = { certificate: 'CAL-2026-0042', calibratedAt: 1_000 * DAY, dueAt: 1_365 * DAY };

describe('sensor calibration (docs/domain.md "Sensor calibration")', () => {
  it('is unknown without a record, not yet calibrated before it, valid, due soon, then overdue', () => {
    expect(calibrationState(null, cal.calibratedAt)).toBe('unknown');
    expect(calibrationState(cal, cal.calibratedAt - 1)).toBe('not_yet_calibrated');
    expect(calibrationState(cal, cal.calibratedAt)).toBe('valid');
    expect(calibrationState(cal, cal.dueAt - DEFAULT_DUE_SOON_MS - 1)).toBe('valid');
    expect(calibrationState(cal, cal.dueAt - DEFAULT_DUE_SOON_MS)).toBe('due_soon');
    expect(calibrationState(cal, cal.dueAt - 1)).toBe('due_soon');
    expect(calibrationState(cal, cal.dueAt)).toBe('overdue');
    expect(calibrationState(cal, cal.dueAt - 1, 0)).toBe('valid');
  });

  it('over an interval takes the worst instant', () => {
    expect(calibrationStateOver(cal, cal.calibratedAt, cal.dueAt - 1)).toBe('valid');
    expect(calibrationStateOver(cal, cal.dueAt - DAY, cal.dueAt)).toBe('overdue');
    expect(calibrationStateOver(cal, cal.calibratedAt - 1, cal.calibratedAt + DAY)).toBe(
      'not_yet_calibrated',
    );
    expect(calibrationStateOver(null, 0, 1)).toBe('unknown');
  });

  it('refuses impossible records', () => {
    expect(calibrationProblem(cal)).toBeNull();
    expect(calibrationProblem({ ...cal, dueAt: cal.calibratedAt })).toMatch(/dueAt > calibratedAt/);
    expect(calibrationProblem({ ...cal, certificate: '  ' })).toMatch(/certificate/);
  });

  it('reads a sensor row: all three columns or none', () => {
    const row = { calibration_certificate: 'C', calibrated_at: 1, calibration_due: 2 };
    expect(calibrationOf(row)).toEqual({ certificate: 'C', calibratedAt: 1, dueAt: 2 });
    expect(calibrationOf({ ...row, calibration_due: null })).toBeNull();
  });
});
