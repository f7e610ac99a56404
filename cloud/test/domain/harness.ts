import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeGatewayPayload,
  type ManualClock,
  type Movement,
  manualClock,
  type Reading,
} from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import pino from 'pino';
import type { LockRule } from '../../src/domain/locks/lock-rule.js';
import { DomainEngine } from '../../src/engine/domain-engine.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { DomainStore } from '../../src/store/domain-store.js';

export const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);
export const MIN = 60_000;
const silent = pino({ level: 'silent' });

export interface Harness {
  store: CloudStore;
  engine: DomainEngine;
  domain: DomainStore;
  /**
   * Starts at T0 and moves only when a test moves it, so the engines' debounce timers fire only then:
   * tests evaluate with `engine.flush()`.
   */
  clock: ManualClock;
  ingestors: Ingestor[];
  dir: string;
  close(): Promise<void>;
}

/** A real SQLite store in a temp dir, one domain engine, `ingestors` Ingestors sharing it. */
export async function openHarness(
  opts: {
    ingestors?: number;
    url?: string;
    skipInRange?: boolean;
    rules?: readonly LockRule[];
    chunkReadings?: number;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-domain-'));
  const store = new CloudStore(await openDatabase(opts.url ?? `sqlite:${join(dir, 'cloud.db')}`));
  const clock = manualClock(T0);
  const engine = new DomainEngine({
    store,
    clock,
    log: silent,
    debounceMs: 1_000_000,
    skipInRange: opts.skipInRange,
    rules: opts.rules,
    chunkReadings: opts.chunkReadings,
  });
  const ingestors = Array.from(
    { length: opts.ingestors ?? 1 },
    () =>
      new Ingestor({
        store,
        clock,
        log: silent,
        onReadings: (_ids, windows) => engine.markReadings(windows),
        onMovements: (epcs) => engine.markEpcs(epcs),
      }),
  );
  return {
    store,
    engine,
    domain: new DomainStore(store),
    clock,
    ingestors,
    dir,
    async close() {
      await engine.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One cloud process of a cluster: its own connection (store), domain engine and ingestor. */
export interface Node {
  store: CloudStore;
  engine: DomainEngine;
  ingestor: Ingestor;
}

export interface Cluster {
  nodes: Node[];
  clock: ManualClock;
  dir: string;
  close(): Promise<void>;
}

/**
 * `n` independent nodes on one database, as `n` ingestor processes would be: each its own connection
 * (a SQLite file in a temp dir by default, or `url`), domain engine and ingestor; the engines share
 * nothing in memory. With several writers the in-range skip is off (see ReadingTails).
 */
export async function openCluster(opts: {
  nodes: number;
  url?: string;
  rules?: () => readonly LockRule[];
  /** `DomainEngineOptions.urgentLane` (default: the engine's). */
  urgentLane?: boolean;
  /** `DomainEngineOptions.longWindowLanes` (default: the engine's). */
  longWindowLanes?: number;
}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-cluster-'));
  const url = opts.url ?? `sqlite:${join(dir, 'cloud.db')}`;
  const clock = manualClock(T0);
  const nodes: Node[] = [];
  try {
    for (let i = 0; i < opts.nodes; i++) {
      const store = new CloudStore(await openDatabase(url));
      // Durability is not what a cluster test checks (the crash tests do): no fsync per commit, so a
      // property can afford many runs.
      store.opened.sqlite?.pragma('synchronous = OFF');
      const engine = new DomainEngine({
        store,
        clock,
        log: silent,
        debounceMs: 1_000_000,
        skipInRange: opts.nodes === 1,
        rules: opts.rules?.() ?? [],
        urgentLane: opts.urgentLane,
        longWindowLanes: opts.longWindowLanes,
      });
      const ingestor = new Ingestor({
        store,
        clock,
        log: silent,
        onReadings: (_ids, windows) => engine.markReadings(windows),
        onMovements: (epcs) => engine.markEpcs(epcs),
      });
      nodes.push({ store, engine, ingestor });
    }
  } catch (err) {
    for (const n of nodes) await n.store.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes,
    clock,
    dir,
    async close() {
      for (const n of nodes) await n.engine.close();
      for (const n of nodes) await n.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function location(
  h: { store: CloudStore },
  id: string,
  limits: Partial<{
    min_c: number;
    max_c: number;
    alarm_delay_ms: number;
    critical_margin_c: number;
    max_gap_ms: number;
  }> = {},
) {
  await h.store.upsertLocation(
    {
      id,
      name: id,
      kind: 'room',
      min_c: 2,
      max_c: 8,
      alarm_delay_ms: 10 * MIN,
      critical_margin_c: 5,
      max_gap_ms: 30 * MIN,
      ...limits,
    },
    T0,
  );
}

export type Ev =
  | { kind: 'reading'; gatewayId: string; r: Reading }
  | { kind: 'movement'; gatewayId: string; m: Movement };

export function reading(
  gatewayId: string,
  seq: number,
  sensorId: string,
  locationId: string,
  ts: number,
  tempC: number,
): Ev {
  return { kind: 'reading', gatewayId, r: { seq, sensorId, locationId, ts, tempC, quality: 'ok' } };
}

export function pass(
  gatewayId: string,
  seq: number,
  epc: string,
  from: string | null,
  to: string,
  ts: number,
): Ev {
  return {
    kind: 'movement',
    gatewayId,
    m: {
      seq,
      epc,
      portalId: `door-${to}`,
      kind: 'pass',
      from,
      to,
      direction: 'in',
      ts,
      firstSeen: ts - 500,
      lastSeen: ts + 500,
      reads: 5,
      peakRssi: -50,
    },
  };
}

/** A presence observation: the unit seen on one side of a portal (no custody change). */
export function presence(gatewayId: string, seq: number, epc: string, at: string, ts: number): Ev {
  const e = pass(gatewayId, seq, epc, null, at, ts);
  if (e.kind === 'movement') e.m = { ...e.m, kind: 'presence', from: null, direction: null };
  return e;
}

/** Publishes one event as a one-record batch through an Ingestor (the real decode + store path). */
export async function send(ingestor: Ingestor, e: Ev): Promise<void> {
  const record = e.kind === 'reading' ? e.r : e.m;
  const name = e.kind === 'reading' ? 'readings' : 'movements';
  const payload = encodeGatewayPayload(name, {
    gatewayId: e.gatewayId,
    firstSeq: record.seq,
    lastSeq: record.seq,
    sentAt: T0,
    records: [record],
  } as never);
  const out = await ingestor.handle({
    topic: `coldtrace/v1/gw/${e.gatewayId}/${name}`,
    payload: Buffer.from(payload),
  });
  if (out.kind !== 'stored') throw new Error(`event rejected: ${out.reason}`);
}

export async function sendAll(
  h: Harness,
  events: readonly Ev[],
  ingestorOf: (i: number) => number = () => 0,
) {
  for (let i = 0; i < events.length; i++) await send(h.ingestors[ingestorOf(i)]!, events[i]!);
}

/**
 * Evaluates everything committed (also what master data marked, as a start does) and waits until no
 * evaluation mark is left (those of windows the engine skipped are deleted just after its flush): every
 * event sent so far has been evaluated. What a test proves before asserting an absence ("no lock").
 */
export async function evaluateAll(h: { engine: DomainEngine; store: CloudStore }): Promise<void> {
  await h.engine.recoverMarks();
  await h.engine.flush();
  await until(
    async () => (await h.store.db.selectFrom('evaluation_marks').select('id').execute()).length === 0,
    'every evaluation mark cleared',
  );
}

/** The derived state, without identities and bookkeeping: what confluence compares. */
export async function snapshot(h: { engine: Pick<DomainEngine, 'db'> }) {
  const db = h.engine.db;
  const custody = await db
    .selectFrom('custody')
    .select(['epc', 'location_id', 'entered_at', 'left_at'])
    .orderBy('epc')
    .orderBy('entered_at')
    .execute();
  const excursions = await db
    .selectFrom('excursions')
    .select([
      'id',
      'location_id',
      'start_ts',
      'end_ts',
      'last_ts',
      'excursion_at',
      'duration_ms',
      'min_c',
      'max_c',
      'peak_c',
      'critical',
      'degree_minutes',
      'mkt_c',
      'sensor_ids',
      'state',
      'out_of_range_ms',
    ])
    .orderBy('location_id')
    .orderBy('start_ts')
    .execute();
  const key = new Map(excursions.map((e) => [e.id, `${e.location_id}@${e.start_ts}`]));
  const locks = (await db.selectFrom('locks').selectAll().execute())
    .filter((l) => l.state !== 'lifted')
    .map((l) => ({
      epc: l.epc,
      excursion:
        l.cause === 'excursion'
          ? (key.get(l.rule_key) ?? `missing:${l.rule_key}`)
          : `${l.cause}:${l.rule_key}`,
      state: l.state,
      from: l.exposed_from,
      to: l.exposed_to,
    }))
    .sort((a, b) => (a.epc + a.excursion < b.epc + b.excursion ? -1 : 1));
  const gaps = await db
    .selectFrom('monitoring_gaps')
    .selectAll()
    .orderBy('location_id')
    .orderBy('sensor_id')
    .orderBy('from_ts')
    .execute();
  const ruleAlarms = (await db.selectFrom('rule_alarms').selectAll().orderBy('id').execute()).map(
    ({ created_at: _c, updated_at: _u, ...rest }) => rest,
  );
  return { custody, excursions: excursions.map(({ id: _id, ...rest }) => rest), locks, gaps, ruleAlarms };
}
