/**
 * The ingest bench's load (bench/ingest.bench.ts): the simulated gateways' readings batches, encoded once,
 * the publishing of them with a window in flight, and a cloud on the embedded default with the gateways
 * connected. Apart from the bench's measurements so each reads on its own.
 */
import { join } from 'node:path';
import { registerGateway, startCloud } from '@coldtrace/cloud';
import { type Clock, encodeGatewayPayload, type Reading, systemClock } from '@coldtrace/shared';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { room } from '../cloud/test/helpers/records.js';

export const T0 = Date.UTC(2026, 0, 1);
export const BATCH = 500;
export const GATEWAYS = 8;
const SENSORS_PER_GATEWAY = 4;

const payloads = new Map<string, { payload: string; n: number }>();
/**
 * Batch k of gateway g, encoded once: the simulated gateways are other machines in reality, so their
 * encoding (and its contract validation) is kept out of the measured cloud's single thread.
 */
export function batch(g: number, k: number): { payload: string; n: number } {
  const key = `${g}/${k}`;
  let b = payloads.get(key);
  if (!b) {
    b = encodeBatch(g, k);
    payloads.set(key, b);
  }
  return b;
}

/** Batch k of gateway g: 500 in-range readings of its sensors, 10 s apart per sensor. */
function encodeBatch(g: number, k: number): { payload: string; n: number } {
  const records: Reading[] = [];
  for (let i = 0; i < BATCH; i++) {
    const seq = k * BATCH + i + 1;
    const s = seq % SENSORS_PER_GATEWAY;
    records.push({
      seq,
      sensorId: `gw${g}-s${s}`,
      locationId: `loc-${g}-${s % 2}`,
      ts: T0 + Math.floor(seq / SENSORS_PER_GATEWAY) * 10_000,
      tempC: 4 + ((seq * 7) % 30) / 10,
      quality: 'ok',
    });
  }
  const gatewayId = `gw${g}`;
  return {
    payload: encodeGatewayPayload('readings', {
      gatewayId,
      firstSeq: k * BATCH + 1,
      lastSeq: (k + 1) * BATCH,
      sentAt: T0,
      records,
    }),
    n: BATCH,
  };
}

/** Each gateway publishes its share with `window` batches in flight; resolves when all are acknowledged. */
export async function drive(clients: MqttClient[], batches: number, window = 4): Promise<number> {
  let done = 0;
  await Promise.all(
    clients.map(async (c, g) => {
      let next = 0;
      const worker = async () => {
        while (next < batches) {
          const k = next++;
          const b = batch(g, k);
          await c.publishAsync(`coldtrace/v1/gw/gw${g}/readings`, b.payload, { qos: 1 });
          done += b.n;
        }
      };
      await Promise.all(Array.from({ length: window }, worker));
    }),
  );
  return done;
}

export async function cloudWith(dir: string, name: string, clock: Clock = systemClock) {
  const cloud = await startCloud(
    {
      database: `sqlite:${join(dir, `${name}.db`)}`,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
      evaluation: { debounceMs: 10 },
      // The batches carry fixed 2026-01-01 times on the system clock: no ingest horizon.
      ingest: { maxEventAgeMs: Number.MAX_SAFE_INTEGER },
      logLevel: 'silent',
    },
    { clock, log: pino({ level: 'silent' }) },
  );
  for (let g = 0; g < GATEWAYS; g++) {
    for (const l of [0, 1]) {
      await cloud.store.upsertLocation(room(`loc-${g}-${l}`), T0);
    }
  }
  const clients = await Promise.all(
    Array.from({ length: GATEWAYS }, async (_, g) => {
      const secret = await registerGateway(cloud.store, { id: `gw${g}`, now: T0 });
      return mqtt.connectAsync(cloud.mqttUrl!, {
        clientId: `gw${g}`,
        username: `gw${g}`,
        password: secret,
        reconnectPeriod: 0,
      });
    }),
  );
  return { cloud, clients };
}
