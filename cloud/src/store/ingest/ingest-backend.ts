import type { Stream } from '@coldtrace/shared';
import type { IngestBatch, IngestResult } from '../../domain/ingest/ingest-plan.js';
import type { ScanMappingOptions } from '../../domain/ingest/scan-mapping.js';

/**
 * Where ingest commits batches (docs/architecture.md "Storage and sinks"): each backend executes
 * `ingestPlan` in one transaction per batch (or per group of batches) and passes the store contract suite.
 */
export interface IngestBackend {
  /**
   * Commits one batch; resolves after the commit that holds it. `scans`: how barcode scans are mapped.
   * `live`: a batch of live readings (docs/architecture.md "Live readings"), committed without waiting
   * behind a backlog of grouped batches where the backend queues them.
   */
  ingest(
    stream: Stream,
    gatewayId: string,
    batch: IngestBatch,
    receivedAt: number,
    scans?: ScanMappingOptions,
    opts?: { live?: boolean },
  ): Promise<IngestResult>;
  /** Deletes evaluation marks whose windows the domain engine proved change nothing. */
  clearMarks(ids: readonly number[]): Promise<void>;
  /** Backends that commit batches in groups: groups committed, batches in them, the largest group. */
  readonly groups?: { count: number; batches: number; largest: number };
}
