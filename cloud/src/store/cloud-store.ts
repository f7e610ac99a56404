import type { AlarmsBatch, MovementRecordsBatch, ReadingsBatch } from '@coldtrace/shared';
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { SequenceReset } from '../domain/ingest/epochs.js';
import type { IngestResult } from '../domain/ingest/ingest-plan.js';
import type { ScanMappingOptions } from '../domain/ingest/scan-mapping.js';
import type { SequenceReuse } from '../domain/ingest/sequence-reuse.js';
import type { OpenedDatabase } from './db.js';
import { epochCoverage, type StreamCoverage } from './epoch-coverage.js';
import { type GatewayUpsert, upsertGateway } from './gateway-master.js';
import type { IngestBackend } from './ingest/ingest-backend.js';
import { KyselyIngestBackend } from './ingest/kysely-ingest-backend.js';
import { SqliteIngestBackend } from './ingest/sqlite-ingest-backend.js';
import { type LocationChange, type LocationInput, upsertLocation } from './location-master.js';
import type { ActorInput } from './master-actor.js';
import { pageDeadLetters } from './queries/list-dead-letters.js';
import { READINGS_COLUMNS } from './schema/ingest-tables.js';
import type { Database, DeadLettersTable, ExcursionsTable, LocationsTable } from './schema.js';

export type {
  ActorInput,
  GatewayUpsert,
  IngestResult,
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
   * Where batches are committed: on SQLite by default the synchronous backend (prepared statements, group
   * commit: throughput, docs/performance.md), else the Kysely backend. Both execute `ingestPlan`.
   */
  readonly ingestBackend: IngestBackend;
  constructor(
    readonly opened: OpenedDatabase,
    opts: { ingest?: 'sqlite' | 'kysely' } = {},
  ) {
    this.db = opened.db;
    this.ingestBackend =
      opened.sqlite && opts.ingest !== 'kysely'
        ? new SqliteIngestBackend(opened.sqlite, opened.db)
        : new KyselyIngestBackend(opened.db, opened.dialect);
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

  /**
   * Replaces a gateway's secret hash by another hash of the same secret (a legacy format rewritten on use,
   * auth/secrets.ts), unless the secret was rotated meanwhile. Not a credential change: no audit entry.
   */
  async rehashGatewaySecret(id: string, oldHash: string, newHash: string): Promise<void> {
    await this.db
      .updateTable('gateways')
      .set({ secret_hash: newHash })
      .where('id', '=', id)
      .where('secret_hash', '=', oldHash)
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

  /** `live`: the batch came on `readings-live` (docs/architecture.md "Live readings"). */
  ingestReadings(
    gatewayId: string,
    batch: ReadingsBatch,
    receivedAt: number,
    opts?: { live?: boolean },
  ): Promise<IngestResult> {
    return this.ingestBackend.ingest('readings', gatewayId, batch, receivedAt, undefined, opts);
  }

  /** Portal movements and barcode scans; `scans` says how scans are mapped (docs/barcode.md). */
  ingestMovements(
    gatewayId: string,
    batch: MovementRecordsBatch,
    receivedAt: number,
    scans?: ScanMappingOptions,
  ): Promise<IngestResult> {
    return this.ingestBackend.ingest('movements', gatewayId, batch, receivedAt, scans);
  }

  ingestAlarms(gatewayId: string, batch: AlarmsBatch, receivedAt: number): Promise<IngestResult> {
    return this.ingestBackend.ingest('alarms', gatewayId, batch, receivedAt);
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
    return (await pageDeadLetters(this.db, { limit, previewChars })).items;
  }

  /** One dead letter with its whole stored payload. */
  async getDeadLetter(id: number): Promise<DeadLetterRow | undefined> {
    const r = await this.db.selectFrom('dead_letters').selectAll().where('id', '=', id).executeTakeFirst();
    return r && { ...r, replayed_at: r.replayed_at === null ? null : Number(r.replayed_at) };
  }

  // ---- queries -------------------------------------------------------------------------------

  listReadings(q: ReadingQuery = {}) {
    let s = this.db.selectFrom('readings').select(READINGS_COLUMNS);
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

  listMonitoringGaps(locationId?: string) {
    let s = this.db.selectFrom('monitoring_gaps').selectAll();
    if (locationId) s = s.where('location_id', '=', locationId);
    return s.orderBy('from_ts').execute();
  }
}
