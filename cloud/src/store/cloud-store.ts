import type {
  Alarm,
  AlarmsBatch,
  Movement,
  MovementsBatch,
  Reading,
  ReadingsBatch,
  Stream,
} from '@coldtrace/shared';
import { type Insertable, type Kysely, sql, type Transaction } from 'kysely';
import { holesIn, type SeqSpan, unionSpans } from './coverage.js';
import type { OpenedDatabase } from './db.js';
import type { Database, DeadLettersTable, ExcursionsTable, LocationsTable } from './schema.js';
import { SqliteFastIngest } from './sqlite-fast-ingest.js';

export interface IngestResult {
  inserted: number;
  duplicates: number;
}

export interface StreamCoverage {
  gatewayId: string;
  stream: Stream;
  highWater: number;
  holes: SeqSpan[];
  thinned: number;
}

export type NewDeadLetter = Omit<DeadLettersTable, 'id'>;
export type DeadLetterRow = Omit<DeadLettersTable, 'id'> & { id: number };
export type LocationRow = LocationsTable;
export type ExcursionRow = ExcursionsTable;

export interface ReadingQuery {
  gatewayId?: string;
  locationId?: string;
  sensorId?: string;
  fromTs?: number;
  toTs?: number;
  limit?: number;
}

/** Rows per INSERT statement: keeps SQLite under its bound-parameter limit. */
const CHUNK = 500;

/**
 * The cloud's storage operations over Kysely, the same code for SQLite and PostgreSQL (one contract
 * suite runs against both). Ingest is idempotent on (gateway, seq) per stream table.
 */
export class CloudStore {
  readonly db: Kysely<Database>;
  /** SQLite only: prepared statements + group commit for ingest (issue 6); Kysely serves PostgreSQL. */
  readonly fast: SqliteFastIngest | undefined;
  constructor(readonly opened: OpenedDatabase) {
    this.db = opened.db;
    this.fast = opened.sqlite ? new SqliteFastIngest(opened.sqlite, opened.db) : undefined;
  }

  close(): Promise<void> {
    return this.opened.close();
  }

  // ---- gateways ------------------------------------------------------------------------------

  async upsertGateway(g: {
    id: string;
    name?: string | null;
    secretHash?: string | null;
    now: number;
  }): Promise<void> {
    const update = {
      ...(g.name !== undefined ? { name: g.name } : {}),
      ...(g.secretHash !== undefined ? { secret_hash: g.secretHash } : {}),
    };
    await this.db
      .insertInto('gateways')
      .values({
        id: g.id,
        name: g.name ?? null,
        secret_hash: g.secretHash ?? null,
        created_at: g.now,
        online: 0,
      })
      .onConflict((oc) =>
        Object.keys(update).length ? oc.column('id').doUpdateSet(update) : oc.column('id').doNothing(),
      )
      .execute();
  }

  getGateway(id: string) {
    return this.db.selectFrom('gateways').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listGateways() {
    return this.db.selectFrom('gateways').selectAll().orderBy('id').execute();
  }

  /** Stores the latest status unless an equally new or newer one is already stored. */
  async setGatewayStatus(id: string, statusJson: string, ts: number, online: boolean): Promise<boolean> {
    const r = await this.db
      .updateTable('gateways')
      .set({ status_json: statusJson, status_at: ts, online: online ? 1 : 0 })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('status_at', 'is', null), eb('status_at', '<=', ts)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  // ---- ingest --------------------------------------------------------------------------------

  ingestReadings(gatewayId: string, batch: ReadingsBatch, receivedAt: number): Promise<IngestResult> {
    if (this.fast) return this.fast.ingestReadings(gatewayId, batch, receivedAt);
    const rows = batch.records.map((r: Reading) => ({
      gateway_id: gatewayId,
      seq: r.seq,
      sensor_id: r.sensorId,
      location_id: r.locationId,
      ts: r.ts,
      temp_c: r.tempC,
      rh: r.rh ?? null,
      quality: r.quality,
      received_at: receivedAt,
    }));
    return this.ingest('readings', gatewayId, batch, receivedAt, (trx) => insertRows(trx, 'readings', rows));
  }

  ingestMovements(gatewayId: string, batch: MovementsBatch, receivedAt: number): Promise<IngestResult> {
    if (this.fast) return this.fast.ingestMovements(gatewayId, batch, receivedAt);
    const rows = batch.records.map((m: Movement) => ({
      gateway_id: gatewayId,
      seq: m.seq,
      epc: m.epc,
      portal_id: m.portalId,
      kind: m.kind,
      from_location: m.from,
      to_location: m.to,
      direction: m.direction,
      ts: m.ts,
      first_seen: m.firstSeen,
      last_seen: m.lastSeen,
      reads: m.reads,
      peak_rssi: m.peakRssi,
      received_at: receivedAt,
    }));
    return this.ingest('movements', gatewayId, batch, receivedAt, (trx) =>
      insertRows(trx, 'movements', rows),
    );
  }

  ingestAlarms(gatewayId: string, batch: AlarmsBatch, receivedAt: number): Promise<IngestResult> {
    if (this.fast) return this.fast.ingestAlarms(gatewayId, batch, receivedAt);
    const rows = batch.records.map((a: Alarm) => ({
      gateway_id: gatewayId,
      seq: a.seq,
      alarm_id: a.alarmId,
      kind: a.kind,
      state: a.state,
      severity: a.severity,
      ts: a.ts,
      location_id: a.locationId ?? null,
      sensor_id: a.sensorId ?? null,
      value: a.value ?? null,
      message: a.message,
      received_at: receivedAt,
    }));
    return this.ingest('alarms', gatewayId, batch, receivedAt, (trx) => insertRows(trx, 'alarms', rows));
  }

  /** One transaction: the records, the thinned ranges the batch declares, and the merged coverage. */
  private ingest(
    stream: Stream,
    gatewayId: string,
    batch: { firstSeq: number; lastSeq: number; records: unknown[]; thinned?: SeqSpan[] | undefined },
    receivedAt: number,
    insert: (trx: Transaction<Database>) => Promise<number>,
  ): Promise<IngestResult> {
    return this.db.transaction().execute(async (trx) => {
      // PostgreSQL runs ingest transactions of one stream concurrently (N ingestors, a pool): without
      // this lock two merges of touching ranges can overwrite each other's coverage row (a false hole).
      // SQLite serialises transactions anyway.
      if (this.opened.dialect === 'postgres') {
        await sql`select pg_advisory_xact_lock(hashtext(${`${gatewayId}/${stream}`}))`.execute(trx);
      }
      const inserted = await insert(trx);
      for (const t of batch.thinned ?? []) {
        await trx
          .insertInto('thinned_ranges')
          .values({ gateway_id: gatewayId, stream, from_seq: t.from, to_seq: t.to, received_at: receivedAt })
          .onConflict((oc) => oc.columns(['gateway_id', 'stream', 'from_seq']).doNothing())
          .execute();
      }
      await this.mergeRange(trx, gatewayId, stream, { from: batch.firstSeq, to: batch.lastSeq });
      return { inserted, duplicates: batch.records.length - inserted };
    });
  }

  /**
   * Joins [from, to] with the stored ranges it overlaps or touches. Concurrent ingestors may leave
   * overlapping rows behind (no lock is taken); readers take the union, so that is harmless.
   */
  private async mergeRange(trx: Transaction<Database>, gatewayId: string, stream: Stream, span: SeqSpan) {
    const near = await trx
      .selectFrom('stream_ranges')
      .select(['from_seq', 'to_seq'])
      .where('gateway_id', '=', gatewayId)
      .where('stream', '=', stream)
      .where('from_seq', '<=', span.to + 1)
      .where('to_seq', '>=', span.from - 1)
      .execute();
    const merged = unionSpans([span, ...near.map((r) => ({ from: r.from_seq, to: r.to_seq }))])[0]!;
    if (near.length === 1 && near[0]!.from_seq === merged.from && near[0]!.to_seq === merged.to) return;
    if (near.length === 1) {
      // The common case: the batch continues (or overlaps) one stored range: one UPDATE.
      await trx
        .updateTable('stream_ranges')
        .set({ from_seq: merged.from, to_seq: merged.to })
        .where('gateway_id', '=', gatewayId)
        .where('stream', '=', stream)
        .where('from_seq', '=', near[0]!.from_seq)
        .execute();
      return;
    }
    if (near.length > 0) {
      await trx
        .deleteFrom('stream_ranges')
        .where('gateway_id', '=', gatewayId)
        .where('stream', '=', stream)
        .where(
          'from_seq',
          'in',
          near.map((r) => r.from_seq),
        )
        .execute();
    }
    await trx
      .insertInto('stream_ranges')
      .values({ gateway_id: gatewayId, stream, from_seq: merged.from, to_seq: merged.to })
      .onConflict((oc) => oc.columns(['gateway_id', 'stream', 'from_seq']).doUpdateSet({ to_seq: merged.to }))
      .execute();
  }

  /** High-water mark, holes (data gaps until replay fills them) and thinned count per gateway stream. */
  async coverage(gatewayId?: string): Promise<StreamCoverage[]> {
    let q = this.db.selectFrom('stream_ranges').selectAll();
    if (gatewayId) q = q.where('gateway_id', '=', gatewayId);
    const rows = await q.execute();
    let tq = this.db
      .selectFrom('thinned_ranges')
      .select(['gateway_id', 'stream', sql<number>`sum(to_seq - from_seq + 1)`.as('n')])
      .groupBy(['gateway_id', 'stream']);
    if (gatewayId) tq = tq.where('gateway_id', '=', gatewayId);
    const thinned = new Map(
      (await tq.execute()).map((r) => [`${r.gateway_id}\u0000${r.stream}`, Number(r.n)]),
    );
    const groups = new Map<string, SeqSpan[]>();
    for (const r of rows) {
      const key = `${r.gateway_id}\u0000${r.stream}`;
      const list = groups.get(key) ?? [];
      list.push({ from: r.from_seq, to: r.to_seq });
      groups.set(key, list);
    }
    return [...groups.entries()]
      .map(([key, spans]) => {
        const [gw, stream] = key.split('\u0000') as [string, Stream];
        return {
          gatewayId: gw,
          stream,
          highWater: Math.max(...spans.map((s) => s.to)),
          holes: holesIn(spans),
          thinned: thinned.get(key) ?? 0,
        };
      })
      .sort((a, b) => a.gatewayId.localeCompare(b.gatewayId) || a.stream.localeCompare(b.stream));
  }

  // ---- dead letters --------------------------------------------------------------------------

  async addDeadLetter(d: NewDeadLetter): Promise<void> {
    await this.db.insertInto('dead_letters').values(d).execute();
  }

  listDeadLetters(limit = 100): Promise<DeadLetterRow[]> {
    return this.db
      .selectFrom('dead_letters')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit)
      .execute() as Promise<DeadLetterRow[]>;
  }

  // ---- queries -------------------------------------------------------------------------------

  listReadings(q: ReadingQuery = {}) {
    let s = this.db.selectFrom('readings').selectAll();
    if (q.gatewayId) s = s.where('gateway_id', '=', q.gatewayId);
    if (q.locationId) s = s.where('location_id', '=', q.locationId);
    if (q.sensorId) s = s.where('sensor_id', '=', q.sensorId);
    if (q.fromTs !== undefined) s = s.where('ts', '>=', q.fromTs);
    if (q.toTs !== undefined) s = s.where('ts', '<', q.toTs);
    return s
      .orderBy('ts')
      .orderBy('gateway_id')
      .orderBy('seq')
      .limit(q.limit ?? 10_000)
      .execute();
  }

  listMovements(q: { gatewayId?: string; epc?: string; limit?: number } = {}) {
    let s = this.db.selectFrom('movements').selectAll();
    if (q.gatewayId) s = s.where('gateway_id', '=', q.gatewayId);
    if (q.epc) s = s.where('epc', '=', q.epc);
    return s
      .orderBy('ts')
      .orderBy('gateway_id')
      .orderBy('seq')
      .limit(q.limit ?? 10_000)
      .execute();
  }

  listAlarms(q: { gatewayId?: string; limit?: number } = {}) {
    let s = this.db.selectFrom('alarms').selectAll();
    if (q.gatewayId) s = s.where('gateway_id', '=', q.gatewayId);
    return s
      .orderBy('ts')
      .orderBy('seq')
      .limit(q.limit ?? 10_000)
      .execute();
  }

  async counts(): Promise<{
    readings: number;
    movements: number;
    alarms: number;
    deadLetters: number;
    excursions: number;
  }> {
    const count = async (table: 'readings' | 'movements' | 'alarms' | 'dead_letters' | 'excursions') =>
      Number(
        (
          await this.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      readings: await count('readings'),
      movements: await count('movements'),
      alarms: await count('alarms'),
      deadLetters: await count('dead_letters'),
      excursions: await count('excursions'),
    };
  }

  // ---- master data: locations ----------------------------------------------------------------

  async upsertLocation(l: Omit<LocationRow, 'created_at' | 'updated_at'>, now: number): Promise<void> {
    await this.db
      .insertInto('locations')
      .values({ ...l, created_at: now, updated_at: now })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          name: l.name,
          kind: l.kind,
          min_c: l.min_c,
          max_c: l.max_c,
          alarm_delay_ms: l.alarm_delay_ms,
          critical_margin_c: l.critical_margin_c,
          max_gap_ms: l.max_gap_ms,
          updated_at: now,
        }),
      )
      .execute();
  }

  getLocation(id: string) {
    return this.db.selectFrom('locations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listLocations() {
    return this.db.selectFrom('locations').selectAll().orderBy('id').execute();
  }

  // ---- excursions ----------------------------------------------------------------------------

  /** Readings of one location as (sensor, ts, tempC) in time order: the excursion evaluator's input. */
  locationSeries(locationId: string) {
    return this.db
      .selectFrom('readings')
      .select(['sensor_id', 'ts', 'temp_c'])
      .where('location_id', '=', locationId)
      .orderBy('ts')
      .execute();
  }

  /** Replaces the derived excursions and monitoring gaps of one location in one transaction. */
  async replaceLocationDerived(
    locationId: string,
    excursions: ExcursionRow[],
    gaps: Array<{ sensor_id: string; from_ts: number; to_ts: number }>,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('excursions').where('location_id', '=', locationId).execute();
      if (excursions.length) await trx.insertInto('excursions').values(excursions).execute();
      await trx.deleteFrom('monitoring_gaps').where('location_id', '=', locationId).execute();
      for (let i = 0; i < gaps.length; i += CHUNK) {
        await trx
          .insertInto('monitoring_gaps')
          .values(gaps.slice(i, i + CHUNK).map((g) => ({ ...g, location_id: locationId })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    });
  }

  listExcursions(q: { locationId?: string } = {}) {
    let s = this.db.selectFrom('excursions').selectAll();
    if (q.locationId) s = s.where('location_id', '=', q.locationId);
    return s.orderBy('start_ts').execute();
  }

  listMonitoringGaps(locationId?: string) {
    let s = this.db.selectFrom('monitoring_gaps').selectAll();
    if (locationId) s = s.where('location_id', '=', locationId);
    return s.orderBy('from_ts').execute();
  }
}

/** Inserts stream rows in chunks, skipping (gateway, seq) already stored; returns how many were new. */
async function insertRows<T extends Stream>(
  trx: Transaction<Database>,
  table: T,
  rows: ReadonlyArray<Insertable<Database[T]>>,
): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const res = await trx
      .insertInto(table)
      .values(rows.slice(i, i + CHUNK) as never)
      .onConflict((oc) => oc.columns(['gateway_id', 'seq'] as never).doNothing())
      .executeTakeFirst();
    inserted += Number(res.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}
