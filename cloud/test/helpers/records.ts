import type { Alarm, Movement, Reading, Scan } from '@coldtrace/shared';

export const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);

/** A cold room's master row: 2–8 °C, 10 min alarm delay, critical 2 °C past a limit, 1 h monitoring gap. */
export const room = (id: string) => ({
  id,
  name: id,
  kind: 'room',
  min_c: 2,
  max_c: 8,
  alarm_delay_ms: 600_000,
  critical_margin_c: 2,
  max_gap_ms: 3_600_000,
});

export function readings(
  n: number,
  opts: Partial<Reading> & { firstSeq?: number; stepMs?: number } = {},
): Reading[] {
  const { firstSeq = 1, stepMs = 60_000, ...rest } = opts;
  return Array.from({ length: n }, (_, i) => ({
    seq: firstSeq + i,
    sensorId: 's1',
    locationId: 'room-1',
    ts: T0 + (firstSeq + i) * stepMs,
    tempC: 5,
    quality: 'ok' as const,
    ...rest,
  }));
}

export function readingsBatch(gatewayId: string, records: Reading[]) {
  return {
    gatewayId,
    firstSeq: records[0]!.seq,
    lastSeq: records[records.length - 1]!.seq,
    sentAt: T0,
    records,
  };
}

/**
 * A GS1 DataMatrix scan of a unit without serial (lot number `lot` of `gtin`) at `locationId`'s station: a
 * counted unit of quantity custody (docs/barcode.md "Quantity custody").
 */
export function untaggedScan(o: {
  seq?: number;
  ts: number;
  gtin: string;
  lot: string;
  locationId: string;
  direction?: Scan['direction'];
}): Scan {
  return {
    seq: o.seq ?? 0,
    kind: 'scan',
    stationId: `${o.locationId}-st`,
    locationId: o.locationId,
    direction: o.direction ?? 'putaway',
    ts: o.ts,
    code: `]d201${o.gtin}10${o.lot}`,
    format: 'gs1-element-string',
    gtin: o.gtin,
    sscc: null,
    hibc: null,
    lot: o.lot,
    serial: null,
    expiry: null,
  };
}

export function movement(seq: number, epc: string, over: Partial<Movement> = {}): Movement {
  return {
    seq,
    epc,
    portalId: 'dock-1',
    kind: 'pass',
    from: 'room-1',
    to: 'truck-1',
    direction: 'out',
    ts: T0 + seq * 1000,
    firstSeen: T0 + seq * 1000 - 500,
    lastSeen: T0 + seq * 1000 + 500,
    reads: 7,
    peakRssi: -48,
    ...over,
  };
}

export function alarm(seq: number, over: Partial<Alarm> = {}): Alarm {
  return {
    seq,
    alarmId: 'temperature_high:room-1',
    kind: 'temperature_high',
    state: 'raised',
    severity: 'warning',
    ts: T0,
    locationId: 'room-1',
    value: 9.5,
    message: 'room-1 above 8 °C for 15 min',
    ...over,
  };
}
