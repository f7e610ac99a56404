import type { Alarm, Movement, Reading, Scan, Stream } from '@coldtrace/shared';
import type { MovementRow, StreamRecord } from './ingest-store.js';
import { scanGoesIn } from './scan-mapping.js';

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

export const movementRow = (m: Movement): MovementRow => ({
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

/** A barcode scan as read: the content columns of `scans` (0023; the mapping columns are not content). */
export const scanRow = (s: Scan) => ({
  station_id: s.stationId,
  location_id: s.locationId,
  direction: s.direction,
  ts: s.ts,
  code: s.code,
  format: s.format,
  gtin: s.gtin,
  sscc: s.sscc,
  hibc: s.hibc,
  lot: s.lot,
  serial: s.serial,
  expiry: s.expiry,
});

/**
 * The custody row of a serialised scan (docs/barcode.md "Scans in the cloud"): the unit `in` at the
 * station's location (receiving, putaway) or `out` of it (dispatch, picking: `from_location` is the station's
 * location); `portal_id` is the station. One read, no RSSI.
 */
export function scanMovementRow(s: Scan, epc: string): MovementRow {
  const inward = scanGoesIn(s);
  return {
    epc,
    portal_id: s.stationId,
    kind: 'scan',
    from_location: inward ? null : s.locationId,
    to_location: s.locationId,
    direction: inward ? 'in' : 'out',
    ts: s.ts,
    first_seen: s.ts,
    last_seen: s.ts,
    reads: 1,
    peak_rssi: 0,
  };
}

/** A record of any stream as its table's content columns (a scan: those of `scans`). */
export function contentRow(stream: Stream, r: StreamRecord): Record<string, unknown> {
  if (stream === 'readings') return readingRow(r as Reading);
  if (stream === 'movements') {
    return (r as { kind: string }).kind === 'scan' ? scanRow(r as Scan) : movementRow(r as Movement);
  }
  return alarmRow(r as Alarm);
}
