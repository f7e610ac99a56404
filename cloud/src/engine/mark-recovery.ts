import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { marksDb, pendingMarks } from '../store/evaluation-marks.js';
import type { DomainDatabase } from '../store/schema.js';
import type { RecoveryTracker } from './recovery-progress.js';

/** What recovered marks are handed to: the domain engine's scheduling. */
export interface MarkTarget {
  markReadings(windows: ReadonlyMap<string, { fromTs: number; toTs: number }>): void;
  markEpcs(epcs: Iterable<string>): void;
  markProduct(gtin: string): void;
  readonly recovery: RecoveryTracker;
}

/**
 * Marks dirty whatever evaluation marks remain in the store (0006), optionally only those created before a
 * time; `atStart`: they are the start's recovery (`/readyz` waits for it, recovery-progress.ts).
 */
export async function recoverPendingMarks(
  db: Kysely<DomainDatabase>,
  target: MarkTarget,
  log: Logger,
  opts: { createdBefore?: number | undefined; atStart?: boolean | undefined },
): Promise<{ locations: number; epcs: number }> {
  const pending = await pendingMarks(marksDb(db), opts.createdBefore);
  if (opts.atStart)
    target.recovery.begin({
      locations: pending.locations.keys(),
      units: pending.epcs,
      products: pending.products,
    });
  if (pending.locations.size) target.markReadings(pending.locations);
  if (pending.epcs.size) target.markEpcs(pending.epcs);
  for (const gtin of pending.products) target.markProduct(gtin);
  if (pending.rows > 0) {
    log.info(
      {
        locations: pending.locations.size,
        epcs: pending.epcs.size,
        products: pending.products.size,
        marks: pending.rows,
      },
      'evaluation marks found: recomputing',
    );
  }
  return { locations: pending.locations.size, epcs: pending.epcs.size };
}
