/**
 * Sensor calibration (EU GDP 2013/C 343/01 §3.3.2 and §9.2: monitoring devices calibrated; a measurement
 * is only as good as the calibration of the device that made it). Pure rules over a sensor's recorded
 * calibration: which state it is in at a given time, and whether a record is possible.
 */
export interface SensorCalibration {
  /** The calibration certificate's reference (number or document id). */
  certificate: string;
  /** When it was calibrated (epoch ms). */
  calibratedAt: number;
  /** When the next calibration is due (epoch ms): measurements from then on come from an overdue sensor. */
  dueAt: number;
}

/**
 * `unknown`: no calibration recorded; `not_yet_calibrated`: the time is before the recorded calibration
 * (the certificate does not cover it); `valid`; `due_soon`: valid, due within the warning period;
 * `overdue`: past its due date.
 */
export type CalibrationState = 'unknown' | 'not_yet_calibrated' | 'valid' | 'due_soon' | 'overdue';

/** Warn this long before a calibration falls due (default 30 days). */
export const DEFAULT_DUE_SOON_MS = 30 * 24 * 3600_000;

export function calibrationState(
  cal: SensorCalibration | null,
  at: number,
  dueSoonMs = DEFAULT_DUE_SOON_MS,
): CalibrationState {
  if (!cal) return 'unknown';
  if (at < cal.calibratedAt) return 'not_yet_calibrated';
  if (at >= cal.dueAt) return 'overdue';
  return at >= cal.dueAt - dueSoonMs ? 'due_soon' : 'valid';
}

/** Why a calibration record is impossible, or null when it is fine. */
export function calibrationProblem(cal: SensorCalibration): string | null {
  if (cal.dueAt <= cal.calibratedAt)
    return 'the calibration must fall due after it was made (dueAt > calibratedAt)';
  if (cal.certificate.trim() === '') return 'a calibration needs its certificate reference';
  return null;
}

/**
 * The calibration of a sensor over an interval of data time (an excursion): the worst state any instant
 * of it had, so a report says when any of its readings came from an overdue or uncalibrated sensor.
 */
export function calibrationStateOver(
  cal: SensorCalibration | null,
  fromTs: number,
  toTs: number,
): Exclude<CalibrationState, 'due_soon'> {
  if (!cal) return 'unknown';
  if (fromTs < cal.calibratedAt) return 'not_yet_calibrated';
  if (toTs >= cal.dueAt) return 'overdue';
  return 'valid';
}

/** The calibration stored in a sensor row's columns, or null when none is recorded. */
export function calibrationOf(row: {
  calibration_certificate: string | null;
  calibrated_at: number | null;
  calibration_due: number | null;
}): SensorCalibration | null {
  if (row.calibration_certificate === null || row.calibrated_at === null || row.calibration_due === null)
    return null;
  return {
    certificate: row.calibration_certificate,
    calibratedAt: Number(row.calibrated_at),
    dueAt: Number(row.calibration_due),
  };
}
