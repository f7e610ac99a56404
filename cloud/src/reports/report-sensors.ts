import { calibrationOf, calibrationStateOver } from '../domain/sensor-calibration.js';
import type { CloudStore } from '../store/cloud-store.js';
import type { ReportSensor } from './report-input.js';

/**
 * The excursion's sensors with serial number and calibration over [fromTs, toTs] of data time (EU GDP
 * §3.3.2: were the readings made by a calibrated device?). A sensor id not in master data is listed by id.
 */
export async function sensorsOf(
  store: CloudStore,
  ids: readonly string[],
  fromTs: number,
  toTs: number,
): Promise<ReportSensor[]> {
  if (ids.length === 0) return [];
  const rows = await store.db
    .selectFrom('sensors')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const r = byId.get(id);
    const cal = r ? calibrationOf(r) : null;
    const state = calibrationStateOver(cal, fromTs, toTs);
    return {
      id,
      name: r?.name ?? id,
      serialNumber: r?.serial_number ?? null,
      calibration: cal && state !== 'unknown' ? { ...cal, state } : null,
    };
  });
}

/** One sensor as the report's statistics show it, e.g. `T1 (SN 4711, calibrated, due 2027-03-01)`. */
export function sensorLabel(s: ReportSensor): string {
  const sn = s.serialNumber ? `SN ${s.serialNumber}, ` : '';
  const c = s.calibration;
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  if (!c) return `${s.name} (${sn}no calibration recorded)`;
  if (c.state === 'overdue') return `${s.name} (${sn}calibration OVERDUE since ${day(c.dueAt)})`;
  if (c.state === 'not_yet_calibrated') return `${s.name} (${sn}calibrated only on ${day(c.calibratedAt)})`;
  return `${s.name} (${sn}calibrated, due ${day(c.dueAt)})`;
}

/**
 * Notes for sensors whose readings in the excursion are not covered by a valid calibration, so a reviewer
 * sees it beside the figures those readings produced.
 */
export function calibrationNotes(sensors: readonly ReportSensor[]): string[] {
  return sensors
    .filter((s) => s.calibration?.state !== 'valid')
    .map((s) =>
      !s.calibration
        ? `Sensor ${s.name}: no calibration is recorded; its readings are not shown to come from a calibrated device.`
        : `Sensor ${sensorLabel(s)}: certificate ${s.calibration.certificate} does not cover the whole excursion.`,
    );
}
