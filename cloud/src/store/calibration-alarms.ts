import type { Kysely } from 'kysely';
import type { CalibrationAlarmEventPayload } from '../domain/domain-events.js';
import { appendAudit } from './audit-append.js';
import { enqueueEvents } from './outbox.js';
import type { Database } from './schema.js';

/** What one pass over the sensors' calibrations changed. */
export interface CalibrationPass {
  raised: CalibrationAlarmEventPayload[];
  cleared: CalibrationAlarmEventPayload[];
  /** Sensors whose calibration is overdue now (raised earlier or in this pass). */
  overdue: number;
}

/**
 * Raises an alarm for each sensor whose recorded calibration fell due (`calibration_due <= now`), once per
 * sensor and due date, and clears the open alarms of sensors recalibrated since (a later due date, or no
 * calibration any more). Each change is on the audit trail (actor `coldtrace`) and goes to ERP/WMS as a
 * `calibration_overdue` / `calibration_cleared` integration event, in one transaction. `now` is the wall
 * clock (a certificate's due date is a calendar date, not a data time); `outboxNow` schedules the events
 * on the outbox's clock.
 */
export async function passCalibrationAlarms(
  db: Kysely<Database>,
  now: number,
  outboxNow: number,
): Promise<CalibrationPass> {
  return db.transaction().execute(async (trx) => {
    const sensors = await trx
      .selectFrom('sensors')
      .select(['id', 'name', 'location_id', 'serial_number', 'calibration_certificate', 'calibration_due'])
      .execute();
    const open = await trx
      .selectFrom('calibration_alarms')
      .selectAll()
      .where('cleared_at', 'is', null)
      .execute();
    const openBySensor = new Map(open.map((a) => [a.sensor_id, a]));
    const raised: CalibrationAlarmEventPayload[] = [];
    const cleared: CalibrationAlarmEventPayload[] = [];
    let overdue = 0;
    for (const s of sensors) {
      const due = s.calibration_due === null ? null : Number(s.calibration_due);
      const alarm = openBySensor.get(s.id);
      const event = (type: CalibrationAlarmEventPayload['type'], dueAt: number) => ({
        type,
        sensorId: s.id,
        sensorName: s.name,
        locationId: s.location_id,
        serialNumber: s.serial_number,
        certificate: s.calibration_certificate,
        dueAt,
        at: now,
      });
      if (alarm && (due === null || due > Number(alarm.due_at))) {
        await trx
          .updateTable('calibration_alarms')
          .set({ cleared_at: now })
          .where('sensor_id', '=', s.id)
          .where('due_at', '=', alarm.due_at)
          .execute();
        cleared.push(event('calibration_cleared', Number(alarm.due_at)));
      }
      if (due === null || due > now) continue;
      overdue++;
      if (alarm && Number(alarm.due_at) === due) continue;
      const inserted = await trx
        .insertInto('calibration_alarms')
        .values({ sensor_id: s.id, due_at: due, raised_at: now, cleared_at: null })
        .onConflict((oc) => oc.columns(['sensor_id', 'due_at']).doNothing())
        .executeTakeFirst();
      // A due date whose alarm was raised and cleared before (the calibration was set back to it) stays cleared.
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) raised.push(event('calibration_overdue', due));
    }
    const changes = [...raised, ...cleared];
    await appendAudit(
      trx,
      changes.map((e) => ({
        actor: 'coldtrace',
        action: e.type === 'calibration_overdue' ? 'calibration.overdue' : 'calibration.cleared',
        entityType: 'sensor',
        entityId: e.sensorId,
        after: { dueAt: e.dueAt, certificate: e.certificate, serialNumber: e.serialNumber },
        reason:
          e.type === 'calibration_overdue'
            ? `calibration of sensor ${e.sensorName} fell due on ${new Date(e.dueAt).toISOString().slice(0, 10)}`
            : `sensor ${e.sensorName} recalibrated: the alarm for ${new Date(e.dueAt).toISOString().slice(0, 10)} is cleared`,
      })),
      now,
    );
    await enqueueEvents(trx, changes, outboxNow);
    return { raised, cleared, overdue };
  });
}

/** Open calibration alarms with their sensor, oldest due first. */
export function listCalibrationAlarms(db: Kysely<Database>, opts: { includeCleared?: boolean } = {}) {
  let q = db
    .selectFrom('calibration_alarms')
    .innerJoin('sensors', 'sensors.id', 'calibration_alarms.sensor_id')
    .select([
      'calibration_alarms.sensor_id as sensor_id',
      'sensors.name as sensor_name',
      'sensors.location_id as location_id',
      'sensors.serial_number as serial_number',
      'sensors.calibration_certificate as certificate',
      'calibration_alarms.due_at as due_at',
      'calibration_alarms.raised_at as raised_at',
      'calibration_alarms.cleared_at as cleared_at',
    ]);
  if (!opts.includeCleared) q = q.where('calibration_alarms.cleared_at', 'is', null);
  return q.orderBy('calibration_alarms.due_at').orderBy('calibration_alarms.sensor_id').execute();
}
