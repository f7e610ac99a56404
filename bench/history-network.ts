import { type Movement, type Reading, sgtin96Hex } from '@coldtrace/shared';

/**
 * The network of `npm run bench -- history` (issue text's "realistic network"): 50 locations with 4
 * sensors each (200 sensors on 10 gateways, readings every 60 s), 10 lots × 1,000 SGTIN-96 units, each
 * lot moving through 4 locations during its custody; every tenth location has one 90-minute excursion a
 * day. Generated deterministically: every history ends at END, so two sizes differ only in how long ago it
 * starts, and their common last days are the same readings and movements.
 *
 * Custody is what a lot's own data grows with, so the lots the bench reads have a custody that ends with
 * the history and does not depend on its length: lot 0 the last 6 days (the same at 2M readings, 6.9 days
 * of history, as at 20M), lot 1 the last 30 days (the "30-day custody"; the whole history when it
 * is shorter). Lots 2–9 move through their locations over the whole history.
 */
export const LOCATIONS = 50;
export const SENSORS_PER_LOCATION = 4;
export const SENSORS = LOCATIONS * SENSORS_PER_LOCATION;
export const LOCATIONS_PER_GATEWAY = 5;
export const GATEWAYS = LOCATIONS / LOCATIONS_PER_GATEWAY;
export const LOTS = 10;
export const UNITS_PER_LOT = 1000;
export const STAYS_PER_LOT = 4;
/** Every history ends here (a midnight); one of `minutes` minutes starts at `historyStart(minutes)`. */
export const END = Date.UTC(2026, 6, 1);
export const historyStart = (minutes: number) => END - minutes * 60_000;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const COMPANY_PREFIX = '0614141';
const GTIN = '00614141000012';
const ITEM_REF = '000001';

export const locationId = (l: number) => `loc-${String(l).padStart(2, '0')}`;
export const sensorId = (s: number) => `sensor-${String(s).padStart(3, '0')}`;
export const gatewayId = (g: number) => `gw-${g}`;
export const lotId = (k: number) => `LOT-${k}`;
export const INBOUND = 'inbound';
const gatewayOfLocation = (l: number) => Math.floor(l / LOCATIONS_PER_GATEWAY);
/** Every tenth location has a daily excursion. */
export const hasExcursions = (l: number) => l % 10 === 0;

export function epcOf(lot: number, unit: number): string {
  return sgtin96Hex({
    companyPrefix: COMPANY_PREFIX,
    itemRef: ITEM_REF,
    serial: lot * 100_000 + unit + 1,
    filter: 1,
  });
}

/** Minutes of history for N readings (every sensor reads once a minute). */
export const minutesFor = (readings: number) => Math.ceil(readings / SENSORS);

/**
 * Temperature of location l at minute m (since the Unix epoch): 4.5–5.5 °C, 9.5 °C during its daily
 * 90-minute excursion at 12:00 + l minutes.
 */
function tempAt(l: number, m: number, s: number): number {
  const minuteOfDay = m % (DAY / MINUTE);
  if (hasExcursions(l) && minuteOfDay >= 720 + l && minuteOfDay < 810 + l) return 9.5;
  return 4.5 + ((m * 7 + s * 13) % 11) / 10;
}

/**
 * Readings batches of one gateway in sequence order, `size` records each, for `minutes` minutes: its 20
 * sensors, one reading a minute each. Generated lazily (20M readings are never all in memory).
 */
export function* readingBatches(g: number, minutes: number, size: number): Generator<Reading[]> {
  const first = g * LOCATIONS_PER_GATEWAY * SENSORS_PER_LOCATION;
  const perGateway = LOCATIONS_PER_GATEWAY * SENSORS_PER_LOCATION;
  let batch: Reading[] = [];
  let seq = 0;
  const t0 = historyStart(minutes);
  // Minutes since the Unix epoch (a midnight): a minute's readings do not depend on the history's size.
  const m0 = t0 / MINUTE;
  for (let m = 0; m < minutes; m++) {
    for (let i = 0; i < perGateway; i++) {
      const s = first + i;
      const l = Math.floor(s / SENSORS_PER_LOCATION);
      batch.push({
        seq: ++seq,
        sensorId: sensorId(s),
        locationId: locationId(l),
        ts: t0 + m * MINUTE + i * 100,
        tempC: tempAt(l, m0 + m, s),
        quality: 'ok',
      });
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length) yield batch;
}

/** Custody of the lot whose figures compare across sizes (days before the end of the history). */
export const SHORT_CUSTODY_LOT = 0;
export const SHORT_CUSTODY_DAYS = 6;
/** Custody of the lot the lot figures are for (capped at the history's start). */
export const MONTH_CUSTODY_LOT = 1;
export const MONTH_CUSTODY_DAYS = 30;

/** When lot k's custody starts, for a history of `minutes` minutes. */
export function custodyStart(k: number, minutes: number): number {
  const t0 = historyStart(minutes);
  if (k === SHORT_CUSTODY_LOT) return Math.max(t0, END - SHORT_CUSTODY_DAYS * DAY);
  if (k === MONTH_CUSTODY_LOT) return Math.max(t0, END - MONTH_CUSTODY_DAYS * DAY);
  return t0;
}

/** Where lot k stays: `inbound` → its gateway's locations 5k … 5k+3, a quarter of its custody each. */
export function lotPath(k: number): number[] {
  return Array.from({ length: STAYS_PER_LOT }, (_, i) => k * LOCATIONS_PER_GATEWAY + i);
}

/** The portal into location l (from inbound for a lot's first stay, else from the location before). */
export const portalId = (l: number) => `door-${String(l).padStart(2, '0')}`;
export const portalFrom = (l: number) => (l % LOCATIONS_PER_GATEWAY === 0 ? INBOUND : locationId(l - 1));

/** Movements per gateway (its portals' passes), in time order, with that gateway's sequence numbers. */
export function movementsByGateway(minutes: number): Map<number, Movement[]> {
  const byGateway = new Map<number, Movement[]>();
  for (let k = 0; k < LOTS; k++) {
    const from = custodyStart(k, minutes);
    const stayMinutes = Math.floor((END - from) / MINUTE / STAYS_PER_LOT);
    lotPath(k).forEach((l, i) => {
      const g = gatewayOfLocation(l);
      const list = byGateway.get(g) ?? [];
      const at = from + i * stayMinutes * MINUTE + 30_000;
      for (let u = 0; u < UNITS_PER_LOT; u++) {
        const ts = at + u * 50;
        list.push({
          seq: 0,
          epc: epcOf(k, u),
          portalId: portalId(l),
          kind: 'pass',
          from: portalFrom(l),
          to: locationId(l),
          direction: 'in',
          ts,
          firstSeen: ts - 500,
          lastSeen: ts + 500,
          reads: 12,
          peakRssi: -52,
        });
      }
      byGateway.set(g, list);
    });
  }
  for (const list of byGateway.values()) {
    list.sort((a, b) => a.ts - b.ts);
    list.forEach((m, i) => {
      m.seq = i + 1;
    });
  }
  return byGateway;
}

/** The master data as a scenario (so the scenario runner's own API seeding enters it). */
export function networkScenario() {
  const limits = { minC: 2, maxC: 8, alarmDelay: 1_800_000, criticalMarginC: 5, maxGap: 1_800_000 };
  return {
    name: 'history bench network',
    duration: DAY,
    locations: [
      {
        id: INBOUND,
        kind: 'dock',
        limits: { ...limits, maxC: 25 },
        temperature: { kind: 'steady', tempC: 15 },
      },
      ...Array.from({ length: LOCATIONS }, (_, l) => ({
        id: locationId(l),
        name: `Cold room ${l}`,
        kind: 'room',
        limits,
        temperature: { kind: 'steady', tempC: 5 },
      })),
    ],
    products: [{ gtin: GTIN, name: 'Vaccine', minC: 2, maxC: 8, stabilityBudget: 48 * 3_600_000 }],
    lots: Array.from({ length: LOTS }, (_, k) => ({
      id: lotId(k),
      gtin: GTIN,
      lotNumber: `L${1000 + k}`,
      expiry: '2028-12-31',
      companyPrefix: COMPANY_PREFIX,
      itemRef: ITEM_REF,
      serials: { from: k * 100_000 + 1, count: UNITS_PER_LOT },
    })),
    gateways: Array.from({ length: GATEWAYS }, (_, g) => ({
      id: gatewayId(g),
      portals: Array.from({ length: LOCATIONS_PER_GATEWAY }, (_, i) => {
        const l = g * LOCATIONS_PER_GATEWAY + i;
        return { id: portalId(l), inside: locationId(l), outside: portalFrom(l) };
      }),
      sensors: Array.from({ length: LOCATIONS_PER_GATEWAY * SENSORS_PER_LOCATION }, (_, i) => {
        const s = g * LOCATIONS_PER_GATEWAY * SENSORS_PER_LOCATION + i;
        return { id: sensorId(s), location: locationId(Math.floor(s / SENSORS_PER_LOCATION)) };
      }),
    })),
  };
}
