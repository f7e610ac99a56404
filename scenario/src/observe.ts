import { type Cloud, listExcursions, lockSubject } from '@coldtrace/cloud';
import type { Kysely } from 'kysely';
import type { ApiCall } from './cloud/seed-master-data.js';
import type { Scenario } from './scenario-schema.js';

/** A lot as the cloud's lot API (`GET /api/v1/lots/:id`) concludes. */
export interface ObservedLot {
  units: { total: number; locked: number; released: number; rejected: number };
  cumulative: Array<{
    rule: { kind: 'above' | 'below'; thresholdC: number; limitMs: number };
    key: string;
    exposedMs: number;
    limitMs: number;
    exceeded: boolean;
    unitsExceeded: number;
    lockedUnits: number;
  }>;
}

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
  /** Every dead letter: who published it and why it was refused. */
  deadLetterList: Array<{ gatewayId: string | null; topic: string; code: string; reason: string }>;
  sequenceHoles: Array<{ gatewayId: string; stream: string; holes: number }>;
  /** Null when the cloud has no lock table (domain engine absent). */
  locks: Array<{ epc: string; excursionId: string; state: string; cause: string }> | null;
  /** Null when the cloud has no custody table. */
  custody: Array<{ epc: string; locationId: string; enteredMs: number; leftMs: number | null }> | null;
  /** Each scenario lot as the cloud's lot API shows it (null when the API does not know the lot). */
  lots: Record<string, ObservedLot | null>;
  /** Readings stored per gateway and sensor, movements per gateway and portal. */
  received: {
    readings: Array<{ gatewayId: string; sensorId: string; n: number }>;
    movements: Array<{ gatewayId: string; portalId: string; n: number }>;
    /** For each `readings` expectation (by its index in `expect`): what the cloud stored that it selects. */
    queries: Record<number, { n: number; maxC: number | null }>;
  };
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

/**
 * Reads the cloud's conclusions, keeping what happened by the scenario's end: from its store
 * (excursions, gaps, locks, custody, what was received) and from its API (each lot's assessment,
 * including its cumulative rules).
 */
export async function observe(cloud: Cloud, s: Scenario, startMs: number, api: ApiCall): Promise<Observed> {
  const end = startMs + s.duration;
  const rel = (ts: number) => ts - startMs;
  const excursions = (await listExcursions(cloud.store.db))
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
    (await db.selectFrom('locks').selectAll().orderBy('epc').orderBy('rule_key').execute()).map((r) => ({
      epc: String(r.epc),
      excursionId: lockSubject(String(r.cause ?? 'excursion'), String(r.rule_key)),
      state: String(r.state),
      cause: String(r.cause ?? 'excursion'),
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
  const lots: Observed['lots'] = {};
  for (const lot of s.lots) {
    try {
      const body = (await api('GET', `/api/v1/lots/${encodeURIComponent(lot.id)}`)) as ObservedLot;
      lots[lot.id] = { units: body.units, cumulative: body.cumulative ?? [] };
    } catch {
      lots[lot.id] = null;
    }
  }
  const readings = (
    await db
      .selectFrom('readings')
      .select(['gateway_id', 'sensor_id'])
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .groupBy(['gateway_id', 'sensor_id'])
      .orderBy('gateway_id')
      .orderBy('sensor_id')
      .execute()
  ).map((r) => ({ gatewayId: String(r.gateway_id), sensorId: String(r.sensor_id), n: Number(r.n) }));
  const movements = (
    await db
      .selectFrom('movements')
      .select(['gateway_id', 'portal_id'])
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .groupBy(['gateway_id', 'portal_id'])
      .orderBy('gateway_id')
      .orderBy('portal_id')
      .execute()
  ).map((r) => ({ gatewayId: String(r.gateway_id), portalId: String(r.portal_id), n: Number(r.n) }));
  const queries: Observed['received']['queries'] = {};
  for (const [i, x] of s.expect.entries()) {
    if (!('readings' in x)) continue;
    const c = x.readings;
    let q = db.selectFrom('readings');
    if (c.sensor) q = q.where('sensor_id', '=', c.sensor);
    if (c.gateway) q = q.where('gateway_id', '=', c.gateway);
    if (c.from !== undefined) q = q.where('ts', '>=', startMs + c.from);
    if (c.to !== undefined) q = q.where('ts', '<', startMs + c.to);
    const r = await q
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('temp_c').as('max_c')])
      .executeTakeFirst();
    queries[i] = {
      n: Number(r?.n ?? 0),
      maxC: r?.max_c === null || r?.max_c === undefined ? null : Number(r.max_c),
    };
  }
  const deadLetterList = (await cloud.store.listDeadLetters(10_000, 0))
    .map((d) => ({ gatewayId: d.gateway_id, topic: d.topic, code: d.code, reason: d.reason }))
    .reverse();
  return {
    startMs,
    excursions,
    monitoringGaps,
    deadLetters: counts.deadLetters,
    deadLetterList,
    sequenceHoles: coverage.map((c) => ({ gatewayId: c.gatewayId, stream: c.stream, holes: c.holes.length })),
    locks,
    custody,
    lots,
    received: { readings, movements, queries },
    counts,
  };
}
