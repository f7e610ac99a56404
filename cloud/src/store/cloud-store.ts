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
import type { SeqSpan } from './coverage.js';
import type { OpenedDatabase } from './db.js';
import { epochCoverage, type StreamCoverage } from './epoch-coverage.js';
import { insertEpcMarks, insertLocationMarks, marksDb, readingWindows } from './evaluation-marks.js';
import { type GatewayUpsert, upsertGateway } from './gateway-master.js';
import { type LocationChange, type LocationInput, upsertLocation } from './location-master.js';
import type { ActorInput } from './master-actor.js';
import type { Database, DeadLettersTable, ExcursionsTable, LocationsTable } from './schema.js';
import { SqliteFastIngest } from './sqlite-fast-ingest.js';
import { mergeStreamRange, mergeThinnedRange } from './stream-coverage.js';
import { offsetCoverage, placeBatchEpoch, type SequenceReset } from './stream-epochs.js';

export interface IngestResult {
  inserted: number;
  duplicates: number;
  /**
   * Readings only, when any was new: location id → id of the evaluation mark committed with them
   * (migration 0006), so the domain engine can clear a mark whose window it proved changes nothing.
   */
  marks?: ReadonlyMap<string, number>;
  /** The batch started a new buffer epoch after another: a sequence reset (audited with the batch, 0008). */
  sequenceReset?: SequenceReset;
  /** The batch's epoch became the stream's first known epoch (offset 0). */
  epochAdopted?: string;
}

export type { ActorInput, GatewayUpsert, LocationChange, LocationInput, SequenceReset, StreamCoverage };
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

  /**
   * Registers or updates a gateway. With an `actor` (a human action: `coldtrace gateway add`, the
   * credentials route) the change and its audit entry are one transaction (`gateway-master.ts`).
   */
  upsertGateway(g: GatewayUpsert): Promise<void> {
    return upsertGateway(this.db, g);
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
    const rows = (off: number) =>
      batch.records.map((r: Reading) => ({
        gateway_id: gatewayId,
        seq: r.seq + off,
        sensor_id: r.sensorId,
        location_id: r.locationId,
        ts: r.ts,
        temp_c: r.tempC,
        rh: r.rh ?? null,
        quality: r.quality,
        received_at: receivedAt,
      }));
    return this.ingest(
      'readings',
      gatewayId,
      batch,
      receivedAt,
      (trx, off) => insertRows(trx, 'readings', rows(off)),
      (trx) => insertLocationMarks(marksDb(trx), readingWindows(batch.records), receivedAt),
    );
  }

  ingestMovements(gatewayId: string, batch: MovementsBatch, receivedAt: number): Promise<IngestResult> {
    if (this.fast) return this.fast.ingestMovements(gatewayId, batch, receivedAt);
    const rows = (off: number) =>
      batch.records.map((m: Movement) => ({
        gateway_id: gatewayId,
        seq: m.seq + off,
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
    return this.ingest(
      'movements',
      gatewayId,
      batch,
      receivedAt,
      (trx, off) => insertRows(trx, 'movements', rows(off)),
      async (trx) => {
        await insertEpcMarks(
          marksDb(trx),
          batch.records.map((m) => m.epc),
          receivedAt,
        );
        return undefined;
      },
    );
  }

  ingestAlarms(gatewayId: string, batch: AlarmsBatch, receivedAt: number): Promise<IngestResult> {
    if (this.fast) return this.fast.ingestAlarms(gatewayId, batch, receivedAt);
    const rows = (off: number) =>
      batch.records.map((a: Alarm) => ({
        gateway_id: gatewayId,
        seq: a.seq + off,
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
    return this.ingest('alarms', gatewayId, batch, receivedAt, (trx, off) =>
      insertRows(trx, 'alarms', rows(off)),
    );
  }

  /**
   * One transaction: the batch's epoch placement (0008: its seqs move into the epoch's sequence space; a
   * reset is audited), the records, the thinned ranges the batch declares, the merged coverage and, when
   * any record was new, the evaluation marks of what the domain engine must recompute (0006).
   */
  private ingest(
    stream: Stream,
    gatewayId: string,
    batch: {
      firstSeq: number;
      lastSeq: number;
      epoch?: string | undefined;
      records: unknown[];
      thinned?: SeqSpan[] | undefined;
    },
    receivedAt: number,
    insert: (trx: Transaction<Database>, seqOffset: number) => Promise<number>,
    mark?: (trx: Transaction<Database>) => Promise<ReadonlyMap<string, number> | undefined>,
  ): Promise<IngestResult> {
    return this.db.transaction().execute(async (trx) => {
      // PostgreSQL runs ingest transactions of one stream concurrently (N ingestors, a pool): without
      // this lock two merges of touching ranges can overwrite each other's coverage row (a false hole).
      // SQLite serialises transactions anyway.
      if (this.opened.dialect === 'postgres') {
        await sql`select pg_advisory_xact_lock(hashtext(${`${gatewayId}/${stream}`}))`.execute(trx);
      }
      const place = await placeBatchEpoch(trx, gatewayId, stream, batch.epoch, receivedAt);
      const inserted = await insert(trx, place.offset);
      const cov = offsetCoverage(batch, place.offset);
      for (const t of cov.thinned) await mergeThinnedRange(trx, gatewayId, stream, t, receivedAt);
      await mergeStreamRange(trx, gatewayId, stream, { from: cov.firstSeq, to: cov.lastSeq });
      const marks = inserted > 0 && mark ? await mark(trx) : undefined;
      return {
        inserted,
        duplicates: batch.records.length - inserted,
        ...(marks ? { marks } : {}),
        ...(place.reset ? { sequenceReset: place.reset } : {}),
        ...(place.adopted ? { epochAdopted: place.adopted } : {}),
      };
    });
  }

  /**
   * High-water mark, holes (data gaps until replay fills them) and thinned count per gateway stream and
   * buffer epoch (newest first), with the sequence reset that began an epoch (`epoch-coverage.ts`).
   */
  coverage(gatewayId?: string): Promise<StreamCoverage[]> {
    return epochCoverage(this.db, gatewayId);
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

  /**
   * Creates or updates a location, audited in the same transaction; a new location or changed limits
   * also commit an evaluation mark of its whole history naming the change (`location-master.ts`).
   */
  upsertLocation(l: LocationInput, now: number, by: ActorInput = {}): Promise<LocationChange | undefined> {
    return upsertLocation(this.db, l, now, by);
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
