import type { Stream } from '@coldtrace/shared';
import { type Kysely, sql } from 'kysely';
import { type IngestBatch, type IngestResult, ingestPlan } from '../../domain/ingest/ingest-plan.js';
import { runAsync } from '../../domain/ingest/ingest-store.js';
import type { ScanMappingOptions } from '../../domain/ingest/scan-mapping.js';
import { deleteMarks, marksDb } from '../evaluation-marks.js';
import type { Dialect } from '../migrations.js';
import type { Database } from '../schema.js';
import type { IngestBackend } from './ingest-backend.js';
import { KyselyIngestStore } from './kysely-ingest-store.js';

/**
 * The Kysely ingest backend (PostgreSQL; on SQLite it runs in the contract suite): `ingestPlan` in one
 * transaction per batch. PostgreSQL runs ingest transactions of one stream concurrently (N ingestors, a
 * pool): a per-(gateway, stream) advisory lock keeps two of them from placing epochs or merging touching
 * ranges at once (a lost update would leave a false hole). SQLite serialises transactions anyway.
 */
export class KyselyIngestBackend implements IngestBackend {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  ingest(
    stream: Stream,
    gatewayId: string,
    batch: IngestBatch,
    receivedAt: number,
    scans?: ScanMappingOptions,
  ): Promise<IngestResult> {
    return this.db.transaction().execute(async (trx) => {
      if (this.dialect === 'postgres') {
        await sql`select pg_advisory_xact_lock(hashtext(${`${gatewayId}/${stream}`}))`.execute(trx);
      }
      return runAsync(ingestPlan(stream, gatewayId, batch, receivedAt, scans), new KyselyIngestStore(trx));
    });
  }

  clearMarks(ids: readonly number[]): Promise<void> {
    return deleteMarks(marksDb(this.db), ids);
  }
}
