import {
  encodeGatewayPayload,
  gatewayTopic,
  gtinOf,
  type Movement,
  type Reading,
  sgtin96Hex,
} from '@coldtrace/shared';
import { movement } from '../helpers/records.js';

/**
 * The deterministic input of scale-out-restarts.svc.test.ts: master data (locations with limits, two
 * products, two lots with commissioned units, portals, sensors) and, per gateway, the batches it publishes in
 * order. Times start at `t0`, one reading per sensor and minute:
 * - gw-1: cold room sensor, always 4–5 °C;
 * - gw-2: the truck's sensor: 12 °C from minute 200 to 239 (13.5 °C at 220: critical with a 5 °C margin
 *   over 8), and 9 °C for 4 minutes from 400 (shorter than the 10 min alarm delay: no excursion);
 * - gw-3: the store's sensor, always in range, and the dock doors' movements: every unit into the cold room
 *   at minute 5; lot A's first 6 units into the truck at minute 100 (in it during the excursion: locked),
 *   lot A's other 2 at minute 300 (after it), the first 3 from the truck into the store at minute 320; lot
 *   B stays in the cold room.
 */
export const MIN = 60_000;
export const GATEWAYS = ['gw-1', 'gw-2', 'gw-3'] as const;
const CP = '4012345';
export const EPCS_A = Array.from({ length: 8 }, (_, i) =>
  sgtin96Hex({ companyPrefix: CP, itemRef: '011111', serial: i + 1 }),
);
export const EPCS_B = Array.from({ length: 4 }, (_, i) =>
  sgtin96Hex({ companyPrefix: CP, itemRef: '022222', serial: i + 1 }),
);
const GTIN_A = gtinOf(EPCS_A[0]!)!;
const GTIN_B = gtinOf(EPCS_B[0]!)!;
export const LOTS = ['LOT-A', 'LOT-B'] as const;

/** Reading batches per gateway, `PER_BATCH` readings (minutes) each. */
export const BATCHES = 200;
const PER_BATCH = 4;

export interface Publish {
  topic: string;
  payload: string;
  stream: 'readings' | 'movements';
  /** The sequence numbers it carries. */
  seqs: number[];
}

/** `[method, path, body]` calls against `/api/v1` that set up the master data, in order. */
export function masterDataCalls(): Array<[string, string, unknown]> {
  const limits = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 5, maxGapMs: 30 * MIN };
  return [
    ['PUT', '/locations/dock', { name: 'Dock', kind: 'room', ...limits, minC: -20, maxC: 40 }],
    ['PUT', '/locations/cold-room', { name: 'Cold room', kind: 'room', ...limits }],
    ['PUT', '/locations/truck', { name: 'Truck', kind: 'vehicle', ...limits }],
    ['PUT', '/locations/store', { name: 'Store', kind: 'store', ...limits }],
    ['PUT', `/products/${GTIN_A}`, { name: 'Vaccine A', minC: 2, maxC: 8, stabilityBudgetMs: 120 * MIN }],
    ['PUT', `/products/${GTIN_B}`, { name: 'Insulin B', minC: 2, maxC: 8, stabilityBudgetMs: 60 * MIN }],
    ['PUT', '/lots/LOT-A', { gtin: GTIN_A, lotNumber: 'A-2026-01', expiry: '2027-06-30' }],
    ['PUT', '/lots/LOT-B', { gtin: GTIN_B, lotNumber: 'B-2026-07', expiry: '2027-03-31' }],
    ['POST', '/lots/LOT-A/epcs', { epcs: EPCS_A }],
    ['POST', '/lots/LOT-B/epcs', { epcs: EPCS_B }],
    ['PUT', '/portals/door-in', { name: 'Goods in', gatewayId: 'gw-3', from: 'dock', to: 'cold-room' }],
    ['PUT', '/portals/door-truck', { name: 'Loading', gatewayId: 'gw-3', from: 'cold-room', to: 'truck' }],
    ['PUT', '/portals/door-store', { name: 'Store in', gatewayId: 'gw-3', from: 'truck', to: 'store' }],
    ['PUT', '/sensors/cr-1', { name: 'Cold room probe', locationId: 'cold-room', gatewayId: 'gw-1' }],
    ['PUT', '/sensors/tk-1', { name: 'Reefer probe', locationId: 'truck', gatewayId: 'gw-2' }],
    ['PUT', '/sensors/st-1', { name: 'Store probe', locationId: 'store', gatewayId: 'gw-3' }],
  ];
}

const SENSORS: Record<(typeof GATEWAYS)[number], { sensorId: string; locationId: string }> = {
  'gw-1': { sensorId: 'cr-1', locationId: 'cold-room' },
  'gw-2': { sensorId: 'tk-1', locationId: 'truck' },
  'gw-3': { sensorId: 'st-1', locationId: 'store' },
};

function tempAt(gw: (typeof GATEWAYS)[number], minute: number): number {
  if (gw === 'gw-2') {
    if (minute === 220) return 13.5;
    if (minute >= 200 && minute < 240) return 12;
    if (minute >= 400 && minute < 404) return 9;
    return 5;
  }
  return 4 + (minute % 2);
}

/** The dock doors' passes: [minute, portal, from, to, units]. */
const PASSES: Array<[number, string, string, string, string[]]> = [
  [5, 'door-in', 'dock', 'cold-room', [...EPCS_A, ...EPCS_B]],
  [100, 'door-truck', 'cold-room', 'truck', EPCS_A.slice(0, 6)],
  [300, 'door-truck', 'cold-room', 'truck', EPCS_A.slice(6)],
  [320, 'door-store', 'truck', 'store', EPCS_A.slice(0, 3)],
];

/** Every gateway's publishes in its order (gw-3 sends each movement batch among its readings). */
export function gatewayInput(t0: number): Record<string, Publish[]> {
  const out: Record<string, Publish[]> = {};
  for (const gw of GATEWAYS) {
    const list: Publish[] = [];
    let moveSeq = 1;
    for (let b = 0; b < BATCHES; b++) {
      const records: Reading[] = Array.from({ length: PER_BATCH }, (_, k) => {
        const minute = b * PER_BATCH + k;
        return {
          seq: minute + 1,
          ...SENSORS[gw],
          ts: t0 + minute * MIN,
          tempC: tempAt(gw, minute),
          quality: 'ok',
        };
      });
      list.push(batch(gw, 'readings', records, t0));
      // gw-3's movements go out 30 batches after they happened: custody arrives late, in another order.
      if (gw !== 'gw-3') continue;
      for (const [minute, portalId, from, to, epcs] of PASSES) {
        if (Math.floor(minute / PER_BATCH) + 30 !== b) continue;
        const moves = epcs.map((epc, i) => {
          const at = t0 + minute * MIN + i * 1000;
          return movement(moveSeq++, epc, {
            portalId,
            from,
            to,
            direction: 'in',
            ts: at,
            firstSeen: at - 500,
            lastSeen: at + 500,
          });
        });
        list.push(batch(gw, 'movements', moves, t0));
      }
    }
    out[gw] = list;
  }
  return out;
}

function batch(
  gatewayId: string,
  stream: 'readings' | 'movements',
  records: Array<Reading | Movement>,
  t0: number,
): Publish {
  const seqs = records.map((r) => r.seq);
  const payload = encodeGatewayPayload(stream, {
    gatewayId,
    firstSeq: seqs[0]!,
    lastSeq: seqs[seqs.length - 1]!,
    sentAt: t0 + BATCHES * PER_BATCH * MIN,
    records,
  } as never);
  return { topic: gatewayTopic(gatewayId, stream), payload: String(payload), stream, seqs };
}

/** How many readings and movements each gateway sends. */
export function expectedCounts(
  input: Record<string, Publish[]>,
): Record<string, { readings: number; movements: number }> {
  return Object.fromEntries(
    Object.entries(input).map(([gw, list]) => [
      gw,
      {
        readings: list.filter((p) => p.stream === 'readings').reduce((n, p) => n + p.seqs.length, 0),
        movements: list.filter((p) => p.stream === 'movements').reduce((n, p) => n + p.seqs.length, 0),
      },
    ]),
  );
}
