import type { Cloud } from '@coldtrace/cloud/cloud';
import type { Kysely } from 'kysely';
import type { Scenario } from './scenario-schema.js';
import { lotEpcs } from './units.js';

/** What the system concluded, with times relative to the scenario start (ms). */
export interface Observed {
  startMs: number;
  excursions: Array<{
    id: string;
    locationId: string;
    startMs: number;
    endMs: number | null;
    critical: boolean;
    peakC: number;
    sensorIds: string[];
  }>;
  monitoringGaps: Array<{ locationId: string; sensorId: string; fromMs: number; toMs: number }>;
  deadLetters: number;
  sequenceHoles: Array<{ gatewayId: string; stream: string; holes: number }>;
  /** Null when the cloud has no lock table (domain engine absent). */
  locks: Array<{ epc: string; excursionId: string; state: string }> | null;
  /** Null when the cloud has no custody table. */
  custody: Array<{ epc: string; locationId: string; enteredMs: number; leftMs: number | null }> | null;
  /** Per lot and threshold: the most time one of its units spent above the threshold (ms), from cloud readings and custody. */
  cumulativeAbove: Record<string, Record<string, number>>;
  counts: { readings: number; movements: number; alarms: number; deadLetters: number; excursions: number };
}

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

async function optionalRows<T>(q: () => Promise<T[]>): Promise<T[] | null> {
  try {
    return await q();
  } catch {
    return null;
  }
}

/** Reads the cloud's conclusions from its store, keeping what happened by the scenario's end. */
export async function observe(cloud: Cloud, s: Scenario, startMs: number): Promise<Observed> {
  const end = startMs + s.duration;
  const rel = (ts: number) => ts - startMs;
  const excursions = (await cloud.store.listExcursions())
    .filter((e) => e.start_ts <= end)
    .map((e) => ({
      id: e.id,
      locationId: e.location_id,
      startMs: rel(e.start_ts),
      endMs: e.end_ts === null ? null : rel(e.end_ts),
      critical: e.critical === 1,
      peakC: e.peak_c,
      sensorIds: e.sensor_ids ? e.sensor_ids.split(',') : [],
    }));
  const monitoringGaps = (await cloud.store.listMonitoringGaps())
    .filter((g) => g.from_ts <= end)
    .map((g) => ({
      locationId: g.location_id,
      sensorId: g.sensor_id,
      fromMs: rel(g.from_ts),
      toMs: rel(g.to_ts),
    }));
  const counts = await cloud.store.counts();
  const coverage = await cloud.store.coverage();
  const db = cloud.store.db as unknown as AnyDb;
  const locks = await optionalRows(async () =>
    (await db.selectFrom('locks').selectAll().orderBy('epc').orderBy('excursion_id').execute()).map((r) => ({
      epc: String(r.epc),
      excursionId: String(r.excursion_id),
      state: String(r.state),
    })),
  );
  const custody = await optionalRows(async () =>
    (await db.selectFrom('custody').selectAll().orderBy('epc').orderBy('entered_at').execute()).map((r) => ({
      epc: String(r.epc),
      locationId: String(r.location_id),
      enteredMs: rel(Number(r.entered_at)),
      leftMs: r.left_at === null ? null : rel(Number(r.left_at)),
    })),
  );
  const cumulativeAbove = await cumulative(cloud, s, custody, startMs);
  return {
    startMs,
    excursions,
    monitoringGaps,
    deadLetters: counts.deadLetters,
    sequenceHoles: coverage.map((c) => ({ gatewayId: c.gatewayId, stream: c.stream, holes: c.holes.length })),
    locks,
    custody,
    cumulativeAbove,
    counts,
  };
}

/**
 * WHO PQS-style cumulative exposure, for the lots and thresholds the expectations ask about: each
 * reading stands for the time until its sensor's next reading (capped at the location's max gap); a
 * location is above while any of its sensors is; a unit accrues that time while in custody there.
 */
async function cumulative(
  cloud: Cloud,
  s: Scenario,
  custody: Observed['custody'],
  startMs: number,
): Promise<Observed['cumulativeAbove']> {
  const out: Observed['cumulativeAbove'] = {};
  const asks = s.expect.flatMap((x) => ('cumulativeAbove' in x ? [x.cumulativeAbove] : []));
  if (asks.length === 0 || !custody) return out;
  const end = s.duration;
  const above = new Map<string, Array<[number, number]>>();
  const intervalsAbove = async (locationId: string, aboveC: number) => {
    const key = `${locationId}@${aboveC}`;
    const cached = above.get(key);
    if (cached) return cached;
    const maxGap = s.locations.find((l) => l.id === locationId)?.limits.maxGap ?? 0;
    const series = await cloud.store.locationSeries(locationId);
    const bySensor = new Map<string, Array<{ ts: number; t: number | null }>>();
    for (const r of series) {
      const list = bySensor.get(r.sensor_id) ?? [];
      list.push({ ts: r.ts - startMs, t: r.temp_c });
      bySensor.set(r.sensor_id, list);
    }
    const spans: Array<[number, number]> = [];
    for (const list of bySensor.values()) {
      list.forEach((r, i) => {
        const next = list[i + 1]?.ts ?? r.ts;
        if (r.t !== null && r.t > aboveC) spans.push([r.ts, Math.min(next, r.ts + maxGap)]);
      });
    }
    const merged = mergeSpans(spans);
    above.set(key, merged);
    return merged;
  };
  for (const a of asks) {
    const lot = s.lots.find((l) => l.id === a.lot);
    if (!lot) continue;
    let worst = 0;
    for (const epc of lotEpcs(lot)) {
      let total = 0;
      for (const c of custody.filter((x) => x.epc === epc)) {
        const spans = await intervalsAbove(c.locationId, a.aboveC);
        const to = Math.min(c.leftMs ?? end, end);
        for (const [f, t] of spans) total += Math.max(0, Math.min(t, to) - Math.max(f, c.enteredMs));
      }
      worst = Math.max(worst, total);
    }
    out[a.lot] = { ...(out[a.lot] ?? {}), [String(a.aboveC)]: worst };
  }
  return out;
}

function mergeSpans(spans: Array<[number, number]>): Array<[number, number]> {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const sp of sorted) {
    const last = out[out.length - 1];
    if (last && sp[0] <= last[1]) last[1] = Math.max(last[1], sp[1]);
    else out.push([sp[0], sp[1]]);
  }
  return out;
}
