import type {
  Alarm,
  AlarmsBatch,
  Movement,
  MovementsBatch,
  Reading,
  ReadingsBatch,
  Stream,
} from '@coldtrace/shared';
import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { SeqSpan } from './coverage.js';
import type { OpenedDatabase } from './db.js';
import { epochCoverage, type StreamCoverage } from './epoch-coverage.js';
import { insertEpcMarks, insertLocationMarks, marksDb, readingWindows } from './evaluation-marks.js';
import { type GatewayUpsert, upsertGateway } from './gateway-master.js';
import { type LocationChange, type LocationInput, upsertLocation } from './location-master.js';
import type { ActorInput } from './master-actor.js';
import { alarmRow, movementRow, readingRow } from './record-rows.js';
import type { Database, DeadLettersTable, ExcursionsTable, LocationsTable } from './schema.js';
import { placeReusedRows, type SequenceReuse } from './sequence-reuse.js';
import { SqliteFastIngest } from './sqlite-fast-ingest.js';
import { mergeStreamRange, mergeThinnedRange } from './stream-coverage.js';
import { type EpochPlacement, offsetCoverage, placeBatchEpoch, type SequenceReset } from './stream-epochs.js';

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
  /** Records stored in a fork of their epoch: their number was taken by another record (sequence-reuse.ts). */
  reused?: number;
  /** Forks this batch opened, each audited as `gateway.sequence_reuse`. */
  sequenceReuses?: SequenceReuse[];
}

export type {
  ActorInput,
  GatewayUpsert,
  LocationChange,
  LocationInput,
  SequenceReset,
  SequenceReuse,
  StreamCoverage,
};
export type NewDeadLetter = Omit<
  Insertable<DeadLettersTable>,
  'id' | 'replayed_at' | 'replayed_by' | 'replay_result'
>;
export type DeadLetterRow = Selectable<DeadLettersTable>;
/** A dead letter with its payload cut short, and the stored payload's length in characters. */
export type DeadLetterPreview = DeadLetterRow & { payload_chars: number };
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
  /**
   * SQLite only: prepared statements + group commit for ingest (throughput, docs/performance.md); Kysely
   * serves PostgreSQL.
   */
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
        ...readingRow(r),
        received_at: receivedAt,
      }));
    return this.ingest(
      'readings',
      gatewayId,
      batch,
      receivedAt,
      (trx, place) => insertRows(trx, 'readings', gatewayId, rows(place.offset), place, receivedAt),
      (trx) => insertLocationMarks(marksDb(trx), readingWindows(batch.records), receivedAt),
    );
  }

  ingestMovements(gatewayId: string, batch: MovementsBatch, receivedAt: number): Promise<IngestResult> {
    if (this.fast) return this.fast.ingestMovements(gatewayId, batch, receivedAt);
    const rows = (off: number) =>
      batch.records.map((m: Movement) => ({
        gateway_id: gatewayId,
        seq: m.seq + off,
        ...movementRow(m),
        received_at: receivedAt,
      }));
    return this.ingest(
      'movements',
      gatewayId,
      batch,
      receivedAt,
      (trx, place) => insertRows(trx, 'movements', gatewayId, rows(place.offset), place, receivedAt),
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
        ...alarmRow(a),
        received_at: receivedAt,
      }));
    return this.ingest('alarms', gatewayId, batch, receivedAt, (trx, place) =>
      insertRows(trx, 'alarms', gatewayId, rows(place.offset), place, receivedAt),
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
    insert: (trx: Transaction<Database>, place: EpochPlacement) => Promise<InsertedRows>,
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
      const { inserted, reused, reuses } = await insert(trx, place);
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
        ...(reused > 0 ? { reused } : {}),
        ...(reuses.length > 0 ? { sequenceReuses: reuses } : {}),
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

  /**
   * The newest dead letters, each payload cut to its first `previewChars` characters (a whole payload may
   * be 4 MiB: `getDeadLetter` has it); `payload_chars` is the stored length.
   */
  async listDeadLetters(limit = 100, previewChars = 64 * 1024): Promise<DeadLetterPreview[]> {
    const rows = await this.db
      .selectFrom('dead_letters')
      .select([
        'id',
        'received_at',
        'topic',
        'gateway_id',
        'client_id',
        'code',
        'reason',
        'payload_bytes',
        'replayed_at',
        'replayed_by',
        'replay_result',
      ])
      .select(sql<string>`substr(payload, 1, ${previewChars})`.as('payload'))
      .select(sql<number | string>`length(payload)`.as('payload_chars'))
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      ...r,
      replayed_at: r.replayed_at === null ? null : Number(r.replayed_at),
      payload_chars: Number(r.payload_chars),
    }));
  }

  /** One dead letter with its whole stored payload. */
  async getDeadLetter(id: number): Promise<DeadLetterRow | undefined> {
    const r = await this.db.selectFrom('dead_letters').selectAll().where('id', '=', id).executeTakeFirst();
    return r && { ...r, replayed_at: r.replayed_at === null ? null : Number(r.replayed_at) };
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

interface InsertedRows {
  inserted: number;
  /** Of them, stored in a fork of the epoch (their number was taken by a different record). */
  reused: number;
  reuses: SequenceReuse[];
}

/**
 * Inserts stream rows in chunks; a row whose (gateway, seq) is taken is a duplicate when the stored record
 * is the same, else a reused number, stored in a fork of the batch's epoch (sequence-reuse.ts).
 */
async function insertRows<T extends Stream>(
  trx: Transaction<Database>,
  table: T,
  gatewayId: string,
  rows: ReadonlyArray<Insertable<Database[T]> & { seq: number }>,
  place: EpochPlacement,
  receivedAt: number,
): Promise<InsertedRows> {
  let inserted = 0;
  const taken: Array<Insertable<Database[T]> & { seq: number }> = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const res = await trx
      .insertInto(table)
      .values(chunk as never)
      .onConflict((oc) => oc.columns(['gateway_id', 'seq'] as never).doNothing())
      .returning('seq' as never)
      .execute();
    inserted += res.length;
    if (res.length < chunk.length) {
      const got = new Set(res.map((r) => Number((r as { seq: unknown }).seq)));
      for (const row of chunk) if (!got.has(row.seq)) taken.push(row);
    }
  }
  if (taken.length === 0) return { inserted, reused: 0, reuses: [] };
  const r = await placeReusedRows(trx, table, gatewayId, place.epoch, taken, place.offset, receivedAt);
  return { inserted: inserted + r.inserted, reused: r.inserted, reuses: r.reuses };
}
