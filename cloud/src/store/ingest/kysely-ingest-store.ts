import type { Scan, Stream } from '@coldtrace/shared';
import { CompiledQuery, type Transaction } from 'kysely';
import type { AuditInput } from '../../domain/audit-chain.js';
import { FORK_MARK } from '../../domain/ingest/epochs.js';
import type {
  AsyncIngestStore,
  EpochRow,
  NewEpochRow,
  NewMark,
  SinkEntry,
  StreamRecord,
} from '../../domain/ingest/ingest-store.js';
import { contentRow, scanRow } from '../../domain/ingest/record-rows.js';
import type { SpanRow } from '../../domain/ingest/seq-spans.js';
import type { LocationSensorRow } from '../../domain/location-sensors.js';
import type { ReadingDigestRow } from '../../domain/reading-digests.js';
import type { ReadingRollupRow } from '../../domain/reading-rollups.js';
import { appendAudit } from '../audit-append.js';
import type { Dialect } from '../migrations.js';
import { READINGS_COLUMNS, type ReadingsTable } from '../schema/ingest-tables.js';
import type { Database } from '../schema.js';
import { insertSqliteReadings } from '../sqlite-reading-rows.js';
import { KyselyScanStore } from './kysely-scan-store.js';
import { applySpanChange, rangesNear } from './kysely-span-rows.js';
import {
  locationSensorArrays,
  locationSensorValues,
  PG_LOCATION_SENSORS_UPSERT,
  SQLITE_LOCATION_SENSORS_UPSERT,
} from './location-sensors-upsert.js';
import { pgInsertReadingAt } from './pg-reading-rows.js';
import { pgUnnestInsert } from './pg-unnest-insert.js';
import { PG_ROLLUP_UPSERT, rollupArrays, rollupValues, SQLITE_ROLLUP_UPSERT } from './rollup-upsert.js';

/** Rows per INSERT statement: keeps SQLite under its bound-parameter limit. */
const CHUNK = 500;

/**
 * `IngestStore` over a Kysely transaction: the same answers as `SqliteIngestStore`, asynchronously, on
 * PostgreSQL (and on SQLite, where the contract suite runs it beside the synchronous adapter).
 *
 * One store serves one transaction (a group commit's batches, kysely-ingest-backend.ts) and keeps, for its
 * life, what every batch would otherwise read again: a stream's epochs, a gateway's last reading digest (as
 * this store wrote it) and the enabled sinks. Only this transaction can change the first two meanwhile: it
 * holds the (gateway, stream) locks on PostgreSQL, and SQLite runs one transaction at a time; the sinks are
 * read once per transaction, so a sink enabled or disabled meanwhile still applies to whole batches. Three
 * statements fewer per readings batch (docs/performance.md "Scale-out ingest").
 */
export class KyselyIngestStore extends KyselyScanStore implements AsyncIngestStore {
  /** Per `gateway/stream`: the current epoch and each named one looked up (`undefined`: none). */
  private readonly epochCache = new Map<string, Map<string, EpochRow | undefined>>();
  private readonly digestHeads = new Map<string, { batch_index: number; chain: string } | undefined>();
  private sinks: string[] | undefined;

  constructor(
    trx: Transaction<Database>,
    private readonly dialect: Dialect,
  ) {
    super(trx);
  }

  private epochs(gatewayId: string, stream: Stream) {
    return this.trx
      .selectFrom('stream_epochs')
      .where('gateway_id', '=', gatewayId)
      .where('stream', '=', stream);
  }

  /** An epoch answer of this transaction, read once: `named` an epoch's name, or '' for the current one. */
  private async cachedEpoch(
    gatewayId: string,
    stream: Stream,
    named: string,
    read: () => Promise<EpochRow | undefined>,
  ): Promise<EpochRow | undefined> {
    const key = `${gatewayId}/${stream}`;
    let rows = this.epochCache.get(key);
    if (!rows) {
      rows = new Map();
      this.epochCache.set(key, rows);
    }
    if (rows.has(named)) return rows.get(named);
    const row = await read();
    rows.set(named, row);
    return row;
  }

  epochNamed(gatewayId: string, stream: Stream, epoch: string): Promise<EpochRow | undefined> {
    // A name is never '' (the contract's epoch is a non-empty string); '' is the current epoch's slot.
    return this.cachedEpoch(gatewayId, stream, `=${epoch}`, async () => {
      const r = await this.epochs(gatewayId, stream)
        .select(['epoch', 'epoch_index', 'seq_offset'])
        .where('epoch', '=', epoch)
        .executeTakeFirst();
      return r && epochRow(r);
    });
  }

  currentEpoch(gatewayId: string, stream: Stream): Promise<EpochRow | undefined> {
    return this.cachedEpoch(gatewayId, stream, '', async () => {
      const r = await this.epochs(gatewayId, stream)
        .select(['epoch', 'epoch_index', 'seq_offset'])
        .where('epoch', 'not like', `%${FORK_MARK}%`)
        .orderBy('epoch_index', 'desc')
        .limit(1)
        .executeTakeFirst();
      return r && epochRow(r);
    });
  }

  async maxEpochIndex(gatewayId: string, stream: Stream): Promise<number | null> {
    const r = await this.epochs(gatewayId, stream)
      .select((eb) => eb.fn.max('epoch_index').as('m'))
      .executeTakeFirst();
    return r?.m == null ? null : Number(r.m);
  }

  async forkOffsets(gatewayId: string, stream: Stream, base: string): Promise<number[]> {
    const rows = await this.epochs(gatewayId, stream)
      .select('seq_offset')
      .where('epoch', 'like', `${base}${FORK_MARK}%`)
      .orderBy('epoch_index')
      .execute();
    return rows.map((r) => Number(r.seq_offset));
  }

  async highWater(gatewayId: string, stream: Stream, fromSeq: number, toSeq: number): Promise<number | null> {
    const r = await this.trx
      .selectFrom('stream_ranges')
      .select((eb) => eb.fn.max('to_seq').as('hw'))
      .where('gateway_id', '=', gatewayId)
      .where('stream', '=', stream)
      .where('from_seq', '>=', fromSeq)
      .where('from_seq', '<', toSeq)
      .executeTakeFirst();
    return r?.hw == null ? null : Number(r.hw);
  }

  async insertEpoch(row: NewEpochRow): Promise<void> {
    this.epochCache.delete(`${row.gateway_id}/${row.stream}`);
    await this.trx.insertInto('stream_epochs').values(row).execute();
  }

  async appendAudit(entries: AuditInput[], at: number): Promise<void> {
    await appendAudit(this.trx, entries, at);
  }

  async insertRecords(
    stream: Stream,
    gatewayId: string,
    records: readonly StreamRecord[],
    offset: number,
    receivedAt: number,
  ): Promise<number[]> {
    if (stream === 'movements' && records.some(isScan)) {
      // Scans (rare) one by one, each against both tables: one sequence per stream.
      const taken: number[] = [];
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        if (!(await this.insertRecordAt(stream, gatewayId, r, r.seq + offset, receivedAt))) taken.push(i);
      }
      return taken;
    }
    const taken: number[] = [];
    for (let i = 0; i < records.length; i += CHUNK) {
      let chunk = records.slice(i, i + CHUNK);
      let held: Set<number> | undefined;
      if (stream === 'movements') {
        // Keys a scan holds (`scans`, 0023) are taken for any movement too: one sequence per stream.
        const rows = await this.trx
          .selectFrom('scans')
          .select('seq')
          .where('gateway_id', '=', gatewayId)
          .where(
            'seq',
            'in',
            chunk.map((r) => r.seq + offset),
          )
          .execute();
        if (rows.length > 0) {
          held = new Set(rows.map((r) => Number(r.seq)));
          const all = chunk;
          chunk = all.filter((r) => !held!.has(r.seq + offset));
          all.forEach((r, j) => {
            if (held!.has(r.seq + offset)) taken.push(i + j);
          });
          if (chunk.length === 0) continue;
        }
      }
      const base = records.slice(i, i + CHUNK);
      const got = await this.insertChunk(stream, gatewayId, chunk, offset, receivedAt);
      if (got.length === chunk.length) continue;
      const stored = new Set(got);
      base.forEach((r, j) => {
        if (!stored.has(r.seq + offset) && !held?.has(r.seq + offset)) taken.push(i + j);
      });
    }
    return taken;
  }

  /** Inserts records (no scan) whose keys are free; returns the stored seqs. */
  private async insertChunk(
    stream: Stream,
    gatewayId: string,
    chunk: readonly StreamRecord[],
    offset: number,
    receivedAt: number,
  ): Promise<number[]> {
    // PostgreSQL: column arrays, a fixed number of parameters (pg-unnest-insert.ts); SQLite has no arrays.
    if (this.dialect === 'postgres') {
      return pgUnnestInsert(this.trx, stream, gatewayId, chunk, offset, receivedAt);
    }
    if (stream === 'readings') {
      // Compact rows behind a view (0043): the view takes no ON CONFLICT.
      const rows = chunk.map((r) => rowOf(stream, gatewayId, r, r.seq + offset, receivedAt));
      return insertSqliteReadings(this.trx, rows as ReadingsTable[]);
    }
    const got = await this.trx
      .insertInto(stream)
      .values(chunk.map((r) => rowOf(stream, gatewayId, r, r.seq + offset, receivedAt)) as never)
      .onConflict((oc) => oc.columns(['gateway_id', 'seq'] as never).doNothing())
      .returning('seq' as never)
      .execute();
    return got.map((r) => Number((r as { seq: unknown }).seq));
  }

  async insertRecordAt(
    stream: Stream,
    gatewayId: string,
    record: StreamRecord,
    storedSeq: number,
    receivedAt: number,
  ): Promise<boolean> {
    if (stream === 'movements') {
      // A key is one record of the stream, whichever table holds it (a scan: `scans`, 0023).
      const other = isScan(record) ? 'movements' : 'scans';
      const there = await this.trx
        .selectFrom(other)
        .select('seq')
        .where('gateway_id', '=', gatewayId)
        .where('seq', '=', storedSeq)
        .executeTakeFirst();
      if (there) return false;
      if (isScan(record)) {
        const r = await this.trx
          .insertInto('scans')
          .values({ gateway_id: gatewayId, seq: storedSeq, ...scanRow(record), received_at: receivedAt })
          .onConflict((oc) => oc.columns(['gateway_id', 'seq']).doNothing())
          .executeTakeFirst();
        return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
      }
    }
    if (stream === 'readings' && this.dialect === 'postgres')
      return pgInsertReadingAt(this.trx, gatewayId, record, storedSeq, receivedAt);
    if (stream === 'readings' && this.dialect === 'sqlite') {
      const row = rowOf(stream, gatewayId, record, storedSeq, receivedAt) as ReadingsTable;
      return (await insertSqliteReadings(this.trx, [row])).length > 0;
    }
    const r = await this.trx
      .insertInto(stream)
      .values(rowOf(stream, gatewayId, record, storedSeq, receivedAt) as never)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async storedRecord(
    stream: Stream,
    gatewayId: string,
    storedSeq: number,
    ts: number,
  ): Promise<Record<string, unknown> | undefined> {
    // The record's month partition alone (0040): a reading of another time is not the record compared.
    if (stream === 'readings')
      return (await this.trx
        .selectFrom('readings')
        .select(READINGS_COLUMNS)
        .where('gateway_id', '=', gatewayId)
        .where('seq', '=', storedSeq)
        .where('ts', '=', ts)
        .executeTakeFirst()) as Record<string, unknown> | undefined;
    if (stream === 'movements') {
      const scan = await this.trx
        .selectFrom('scans')
        .selectAll()
        .where('gateway_id', '=', gatewayId)
        .where('seq', '=', storedSeq)
        .executeTakeFirst();
      if (scan) return scan as Record<string, unknown>;
    }
    return (await this.trx
      .selectFrom(stream)
      .selectAll()
      .where('gateway_id', '=', gatewayId)
      .where('seq', '=', storedSeq)
      .executeTakeFirst()) as Record<string, unknown> | undefined;
  }

  rangesNear(...a: Parameters<AsyncIngestStore['rangesNear']>): Promise<SpanRow[]> {
    return rangesNear(this.trx, ...a);
  }

  applySpanChange(...a: Parameters<AsyncIngestStore['applySpanChange']>): Promise<void> {
    return applySpanChange(this.trx, ...a);
  }

  async enabledSinks(): Promise<string[]> {
    if (this.sinks) return [...this.sinks];
    const rows = await this.trx
      .selectFrom('sink_state')
      .select('name')
      .where('enabled', '=', 1)
      .orderBy('name')
      .execute();
    this.sinks = rows.map((r) => r.name);
    return [...this.sinks];
  }

  async enqueueSinks(
    sinks: readonly string[],
    gatewayId: string,
    stored: readonly SinkEntry[],
  ): Promise<void> {
    const rows = stored.flatMap((r) =>
      sinks.map((sink) => ({ sink, gateway_id: gatewayId, seq: r.seq, ts: r.ts })),
    );
    for (let i = 0; i < rows.length; i += CHUNK) {
      await this.trx
        .insertInto('sink_outbox')
        .values(rows.slice(i, i + CHUNK))
        .execute();
    }
  }

  async insertMarks(marks: readonly NewMark[]): Promise<number[]> {
    // A batch's marks have distinct subjects (one per location, or per EPC): ids are matched by subject,
    // as PostgreSQL does not promise RETURNING rows in VALUES order.
    const ids = new Map<string, number>();
    for (let i = 0; i < marks.length; i += CHUNK) {
      const got = await this.trx
        .insertInto('evaluation_marks')
        .values(marks.slice(i, i + CHUNK).map((m) => ({ ...m, cause: null })))
        .returning(['id', 'subject'])
        .execute();
      for (const r of got) ids.set(r.subject, Number(r.id));
    }
    return marks.map((m) => ids.get(m.subject)!);
  }

  async lastReadingDigest(gatewayId: string): Promise<{ batch_index: number; chain: string } | undefined> {
    if (this.digestHeads.has(gatewayId)) return this.digestHeads.get(gatewayId);
    const r = await this.trx
      .selectFrom('reading_digests')
      .select(['batch_index', 'chain'])
      .where('gateway_id', '=', gatewayId)
      .orderBy('batch_index', 'desc')
      .limit(1)
      .executeTakeFirst();
    const head = r && { batch_index: Number(r.batch_index), chain: r.chain };
    this.digestHeads.set(gatewayId, head);
    return head;
  }

  async insertReadingDigest(row: ReadingDigestRow): Promise<void> {
    this.digestHeads.delete(row.gateway_id);
    await this.trx.insertInto('reading_digests').values(row).execute();
    this.digestHeads.set(row.gateway_id, { batch_index: row.batch_index, chain: row.chain });
  }

  async addRollups(rows: readonly ReadingRollupRow[]): Promise<void> {
    if (this.dialect === 'postgres') {
      await this.trx.executeQuery(CompiledQuery.raw(PG_ROLLUP_UPSERT, rollupArrays(rows)));
      return;
    }
    for (const r of rows)
      await this.trx.executeQuery(CompiledQuery.raw(SQLITE_ROLLUP_UPSERT, [...rollupValues(r)]));
  }

  async widenLocationSensors(rows: readonly LocationSensorRow[]): Promise<void> {
    if (this.dialect === 'postgres') {
      await this.trx.executeQuery(CompiledQuery.raw(PG_LOCATION_SENSORS_UPSERT, locationSensorArrays(rows)));
      return;
    }
    for (const r of rows)
      await this.trx.executeQuery(
        CompiledQuery.raw(SQLITE_LOCATION_SENSORS_UPSERT, [...locationSensorValues(r)]),
      );
  }
}

const isScan = (r: StreamRecord): r is Scan => (r as Scan).kind === 'scan';

function epochRow(r: { epoch: string; epoch_index: unknown; seq_offset: unknown }): EpochRow {
  return { epoch: r.epoch, epoch_index: Number(r.epoch_index), seq_offset: Number(r.seq_offset) };
}

function rowOf(stream: Stream, gatewayId: string, r: StreamRecord, seq: number, receivedAt: number) {
  return { gateway_id: gatewayId, seq, ...contentRow(stream, r), received_at: receivedAt };
}
