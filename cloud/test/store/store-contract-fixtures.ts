import type { Alarm } from '@coldtrace/shared';
import type { ExcursionRow, IngestResult } from '../../src/store/cloud-store.js';
import { T0 } from '../helpers/records.js';

/** Registers a new gateway for one test (`<prefix>-<n>`), so the contract's tests share one database. */
export type NewGateway = (prefix?: string) => Promise<string>;

export function alarm(seq: number, over: Partial<Alarm> = {}): Alarm {
  return {
    seq,
    alarmId: 'temperature_high:room-1',
    kind: 'temperature_high',
    state: 'raised',
    severity: 'warning',
    ts: T0 + seq * 1000,
    locationId: 'room-1',
    sensorId: 's1',
    value: 9.5,
    message: 'too warm',
    ...over,
  } as Alarm;
}

export function batchOf<T extends { seq: number }>(
  gatewayId: string,
  records: T[],
  thinned?: Array<{ from: number; to: number }>,
) {
  const seqs = [...records.map((r) => r.seq), ...(thinned ?? []).flatMap((t) => [t.from, t.to])];
  return {
    gatewayId,
    firstSeq: Math.min(...seqs),
    lastSeq: Math.max(...seqs),
    sentAt: T0,
    records,
    ...(thinned ? { thinned } : {}),
  };
}

export function excursion(
  id: string,
  locationId: string,
  startTs: number,
  over: Partial<ExcursionRow> = {},
): ExcursionRow {
  return {
    id,
    location_id: locationId,
    start_ts: startTs,
    end_ts: startTs + 600_000,
    last_ts: startTs + 600_000,
    excursion_at: startTs + 300_000,
    duration_ms: 600_000,
    min_c: 8.5,
    max_c: 11.25,
    peak_c: 11.25,
    critical: 0,
    degree_minutes: 12.5,
    mkt_c: 9.75,
    sensor_ids: 's1,s2',
    state: 'closed',
    updated_at: T0,
    ...over,
  };
}

export const counts = (r: IngestResult) => ({ inserted: r.inserted, duplicates: r.duplicates });
