import type { Alarm, Movement, Reading, Stream } from '@coldtrace/shared';
import type { StreamRecord } from './ingest-store.js';

/**
 * A record's content as its table's columns (without gateway, seq and arrival): what the stores insert and
 * what a record whose number is taken is compared with (sequence-reuse.ts).
 */
export const readingRow = (r: Reading) => ({
  sensor_id: r.sensorId,
  location_id: r.locationId,
  ts: r.ts,
  temp_c: r.tempC,
  rh: r.rh ?? null,
  quality: r.quality,
});

export const movementRow = (m: Movement) => ({
  epc: m.epc,
  portal_id: m.portalId,
  kind: m.kind,
  from_location: m.from,
  to_location: m.to,
  direction: m.direction,
  ts: m.ts,
  first_seen: m.firstSeen,
  last_seen: m.lastSeen,
  reads: m.reads,
  peak_rssi: m.peakRssi,
});

export const alarmRow = (a: Alarm) => ({
  alarm_id: a.alarmId,
  kind: a.kind,
  state: a.state,
  severity: a.severity,
  ts: a.ts,
  location_id: a.locationId ?? null,
  sensor_id: a.sensorId ?? null,
  value: a.value ?? null,
  message: a.message,
});

/** A record of any stream as its table's content columns. */
export function contentRow(stream: Stream, r: StreamRecord): Record<string, unknown> {
  if (stream === 'readings') return readingRow(r as Reading);
  if (stream === 'movements') return movementRow(r as Movement);
  return alarmRow(r as Alarm);
}
