/**
 * The reconnect storm's load (`npm run bench -- storm`, docs/performance.md "Reconnect storm"), the same for
 * every deployment: the gateways' backlogs as the edge sends them, the probe gateway's units and critical
 * readings, and the figures' output.
 */
import { DEFAULT_PUBACK_TIMEOUT_MS, pubackOverdue } from '@coldtrace/edge';
import { encodeGatewayPayload, type Reading } from '@coldtrace/shared';
import type { MqttClient } from 'mqtt';

export const BENCH = 'storm';
/** Readings per batch and batches in flight per gateway, as the edge publisher sends a backlog. */
export const BATCH = 500;
export const WINDOW = 4;
/** Locations the storm's readings are spread over (20 sensors each at 1,000 gateways). */
export const LOCATIONS = 50;

export const arg = (name: string, dflt: number) =>
  Number(process.argv.find((x) => x.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
export const stringArg = (name: string, dflt: string) =>
  process.argv.find((x) => x.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;

export const out = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(
    `${JSON.stringify({ bench: BENCH, metric, value: Math.round(value * 100) / 100, unit, ...extra })}\n`,
  );

/** The probe's and the gateways' locations (the cloud tests' cold room). */
export { room } from '../cloud/test/helpers/records.js';

/** Gateway g's backlog of `count` readings as the edge would send it: batches of 500, one reading a minute. */
export function backlog(g: number, count: number, t0: number): string[] {
  const out: string[] = [];
  for (let first = 1; first <= count; first += BATCH) {
    const records: Reading[] = [];
    for (let seq = first; seq < first + BATCH && seq <= count; seq++)
      records.push({
        seq,
        sensorId: `s-${g}`,
        locationId: `loc-${g % LOCATIONS}`,
        ts: t0 + seq * 3_000,
        tempC: 4 + ((seq * 7 + g) % 30) / 10,
        quality: 'ok',
      });
    out.push(
      encodeGatewayPayload('readings', {
        gatewayId: `gw-${g}`,
        firstSeq: first,
        lastSeq: records[records.length - 1]!.seq,
        sentAt: t0,
        records,
      }),
    );
  }
  return out;
}

/**
 * Sends `payloads` in order with `WINDOW` QoS 1 publishes in flight; resolves on the last PUBACK. As the edge
 * publisher does (`mqtt.pubackTimeoutMs`, the same default and decision), the oldest publish waiting longer
 * than `pubackTimeoutMs` for its PUBACK on a connection drops it, as a network fault would: mqtt.js then
 * reconnects and sends the publishes in flight again. `onDrop` is told of each drop.
 */
export async function publishAll(
  c: MqttClient,
  g: number,
  payloads: string[],
  { pubackTimeoutMs = DEFAULT_PUBACK_TIMEOUT_MS, onDrop = () => {} } = {},
): Promise<void> {
  /** When each publish still waiting for its PUBACK was sent on the current connection. */
  const waiting = new Set<{ sentAt: number }>();
  // A replay on the next connection starts its deadline again (the edge's publishes carry their connection).
  const replayed = () => {
    for (const w of waiting) w.sentAt = Date.now();
  };
  c.on('connect', replayed);
  const watch = setInterval(
    () => {
      let oldest: number | undefined;
      for (const w of waiting) oldest = Math.min(oldest ?? w.sentAt, w.sentAt);
      if (c.connected && pubackOverdue(oldest, Date.now(), pubackTimeoutMs)) {
        onDrop();
        c.stream.destroy();
      }
    },
    Math.min(1_000, pubackTimeoutMs),
  );
  let next = 0;
  const worker = async () => {
    while (next < payloads.length) {
      const p = payloads[next++]!;
      const w = { sentAt: Date.now() };
      waiting.add(w);
      try {
        await c.publishAsync(`coldtrace/v1/gw/gw-${g}/readings`, p, { qos: 1 });
      } finally {
        waiting.delete(w);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: WINDOW }, worker));
  } finally {
    clearInterval(watch);
    c.off('connect', replayed);
  }
}

/** The unit the probe moves into probe location i. */
export const epcOf = (i: number) =>
  (0x30340000 + i).toString(16).toUpperCase().padStart(8, '0') + '0000000000000000';

/** The probe's movements: unit i into location `probe-<i>`, for i < samples. */
export const probeMovements = (samples: number, t0: number) =>
  encodeGatewayPayload('movements', {
    gatewayId: 'probe',
    firstSeq: 1,
    lastSeq: samples,
    sentAt: t0,
    records: Array.from({ length: samples }, (_, i) => ({
      seq: i + 1,
      epc: epcOf(i),
      portalId: 'door',
      kind: 'pass' as const,
      from: 'dock',
      to: `probe-${i}`,
      direction: 'in' as const,
      ts: t0,
      firstSeen: t0,
      lastSeen: t0,
      reads: 3,
      peakRssi: -40,
    })),
  });

/**
 * The probe's critical reading (sequence `seq`) for probe location i, taken at `ts` (default a minute after
 * the probe's units moved in): past the critical margin at once.
 */
export function probeCritical(i: number, seq: number, t0: number, ts = t0 + 60_000): string {
  const hot: Reading = {
    seq,
    sensorId: `probe-s${i}`,
    locationId: `probe-${i}`,
    ts,
    tempC: 15,
    quality: 'ok',
  };
  return encodeGatewayPayload('readings', {
    gatewayId: 'probe',
    firstSeq: seq,
    lastSeq: seq,
    sentAt: t0,
    records: [hot],
  });
}

/** The p-th percentile (nearest rank) of ascending `sorted`. */
export const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
