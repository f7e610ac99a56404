import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { claimDeadNodeMarks, nodesDb } from '../store/cloud-nodes.js';
import { marksDb, type PendingMarks, pendingMarks, pendingOf } from '../store/evaluation-marks.js';
import type { Dialect } from '../store/migrations.js';
import type { DomainDatabase } from '../store/schema.js';
import type { RecoveryTracker } from './recovery-progress.js';

/** What recovered marks are handed to: the domain engine's scheduling. */
export interface MarkTarget {
  markReadings(windows: ReadonlyMap<string, { fromTs: number; toTs: number }>): void;
  markEpcs(epcs: Iterable<string>): void;
  markProduct(gtin: string): void;
  readonly recovery: RecoveryTracker;
}

export interface MarkRecoveryOptions {
  /** Only marks created before this time (data clock): the periodic sweep of marks left behind. */
  createdBefore?: number | undefined;
  /** Only marks without owner or owned by this node (0029): another live node evaluates its own. */
  ownedBy?: string | undefined;
  /** They are the start's recovery (`/readyz` waits for it, recovery-progress.ts). */
  atStart?: boolean | undefined;
}

/** Hands the marks' subjects to the engine's scheduling. */
function markDirty(target: MarkTarget, pending: PendingMarks): void {
  if (pending.locations.size) target.markReadings(pending.locations);
  if (pending.epcs.size) target.markEpcs(pending.epcs);
  for (const gtin of pending.products) target.markProduct(gtin);
}

/**
 * Marks dirty whatever evaluation marks remain in the store (0006), optionally only those created before a
 * time and without another owner; `atStart`: they are the start's recovery.
 */
export async function recoverPendingMarks(
  db: Kysely<DomainDatabase>,
  target: MarkTarget,
  log: Logger,
  opts: MarkRecoveryOptions,
): Promise<{ locations: number; epcs: number }> {
  const pending = await pendingMarks(marksDb(db), opts.createdBefore, opts.ownedBy);
  if (opts.atStart)
    target.recovery.begin({
      locations: pending.locations.keys(),
      units: pending.epcs,
      products: pending.products,
    });
  markDirty(target, pending);
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

/**
 * Takes over the marks of dead cloud nodes (`claimDeadNodeMarks`, domain/node-liveness.ts) and marks their
 * subjects dirty: committed events their owner will never evaluate. Logs each dead node whose marks it took.
 */
export async function recoverDeadNodeMarks(
  db: Kysely<DomainDatabase>,
  dialect: Dialect,
  self: string,
  target: MarkTarget,
  log: Logger,
): Promise<{ nodes: number; marks: number }> {
  const claim = await claimDeadNodeMarks(nodesDb(db), dialect, self);
  if (claim.marks.length === 0) return { nodes: 0, marks: 0 };
  const pending = pendingOf(claim.marks);
  markDirty(target, pending);
  for (const n of claim.nodes) {
    // A cloud that stopped heartbeating died or lost the store; marks of a process without a row are those
    // a clean stop left (a long window's chunks) or a CLI command wrote.
    if (n.heartbeating)
      log.warn(
        { deadNode: n.id, node: self, marks: n.marks },
        `evaluation marks of cloud node ${n.id} taken over: it stopped heartbeating`,
      );
    else
      log.info(
        { deadNode: n.id, node: self, marks: n.marks },
        `evaluation marks of node ${n.id} taken over: it is not running`,
      );
  }
  return { nodes: claim.nodes.length, marks: claim.marks.length };
}
