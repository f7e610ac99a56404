import { encodeGatewayPayload, type Reading } from '@coldtrace/shared';
import { room as coldRoom } from '../cloud/test/helpers/records.js';

/**
 * The input of `npm run bench -- scale`: gateways with 10 sensors in 2 rooms each, in-range readings
 * (4–7 °C), the sensors of a gateway reading in turn; every gateway's backlog pre-encoded as the edge
 * sends it (batches of 500): the simulated gateways stand for other machines, whose encoding is not the
 * measured cloud's work.
 */

/** Issue 17 item 3: CPU per reading (ingestors + PostgreSQL + broker), rate with 2 ingestors. */
export const GOALS = { cpuUs: 15, rate2: 40_000 };
export const SENSORS_PER_GATEWAY = 10;
export const LOCATIONS_PER_GATEWAY = 2;
const BATCH = 500;
const HOUR = 3_600_000;

export const gatewayId = (g: number) => `gw-${g}`;
const locationId = (g: number, l: number) => `loc-${g}-${l}`;

/** Location l of gateway g: a 2–8 °C room. */
export const room = (g: number, l: number) => coldRoom(locationId(g, l));

/**
 * Gateway g's backlog of `readings` (a multiple of 500), encoded: its last reading 1 h before now, each
 * sensor every 10 s (closer when the backlog would reach back more than 20 h: the ingest horizon is 90 days).
 */
export function backlog(g: number, readings: number): string[] {
  const rounds = Math.ceil(readings / SENSORS_PER_GATEWAY);
  const stepMs = Math.min(10_000, Math.floor((20 * HOUR) / rounds));
  const t0 = Math.floor((Date.now() - HOUR) / 1000) * 1000 - rounds * stepMs;
  const out: string[] = [];
  for (let first = 1; first <= readings; first += BATCH) {
    const records: Reading[] = [];
    for (let seq = first; seq < first + BATCH; seq++) {
      const s = seq % SENSORS_PER_GATEWAY;
      records.push({
        seq,
        sensorId: `s-${g}-${s}`,
        locationId: locationId(g, s % LOCATIONS_PER_GATEWAY),
        ts: t0 + Math.floor((seq - 1) / SENSORS_PER_GATEWAY) * stepMs,
        tempC: 4 + ((seq * 7 + g) % 30) / 10,
        quality: 'ok',
      });
    }
    out.push(
      encodeGatewayPayload('readings', {
        gatewayId: gatewayId(g),
        firstSeq: first,
        lastSeq: first + BATCH - 1,
        sentAt: records.at(-1)!.ts,
        records,
      }),
    );
  }
  return out;
}
