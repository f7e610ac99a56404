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

/** The store's node (`StoreOpened`): whose marks a start or a sweep takes over, and on which clock. */
export interface MarkNode {
  dialect: Dialect;
  id: string;
}

/**
 * Marks dirty whatever evaluation marks remain in the store (0006), optionally only those created before a
 * time and without another owner; `atStart`: they are the start's recovery, and the marks of dead nodes are
 * taken over first (`takeDeadNodeMarks`), so the periodic sweep for them (`recoverDeadNodeMarks`) does not
 * find them again and mark the subjects the start is rebuilding dirty a second time.
 */
export async function recoverPendingMarks(
  db: Kysely<DomainDatabase>,
  node: MarkNode,
  target: MarkTarget,
  log: Logger,
  opts: MarkRecoveryOptions,
): Promise<{ locations: number; epcs: number; taken: number }> {
  // Taken before the read, which then sees them as this node's: one read holds the start's whole recovery.
  const taken = opts.atStart ? (await takeDeadNodeMarks(db, node, log)).marks.length : 0;
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
  return { locations: pending.locations.size, epcs: pending.epcs.size, taken };
}

/**
 * Takes over the marks of dead cloud nodes (`claimDeadNodeMarks`, domain/node-liveness.ts) as this node's
 * and logs each dead node whose marks it took; the caller marks them dirty.
 */
async function takeDeadNodeMarks(db: Kysely<DomainDatabase>, node: MarkNode, log: Logger) {
  const claim = await claimDeadNodeMarks(nodesDb(db), node.dialect, node.id);
  for (const n of claim.nodes) {
    // A cloud that stopped heartbeating died or lost the store; marks of a process without a row are those
    // a clean stop left (a long window's chunks) or a CLI command (or a bulk load) wrote.
    if (n.heartbeating)
      log.warn(
        { deadNode: n.id, node: node.id, marks: n.marks },
        `evaluation marks of cloud node ${n.id} taken over: it stopped heartbeating`,
      );
    else
      log.info(
        { deadNode: n.id, node: node.id, marks: n.marks },
        `evaluation marks of node ${n.id} taken over: it is not running`,
      );
  }
  return claim;
}

/**
 * Takes over the marks of dead cloud nodes (`takeDeadNodeMarks`) and marks their subjects dirty: committed
 * events their owner will never evaluate.
 */
export async function recoverDeadNodeMarks(
  db: Kysely<DomainDatabase>,
  node: MarkNode,
  target: MarkTarget,
  log: Logger,
): Promise<{ nodes: number; marks: number }> {
  const claim = await takeDeadNodeMarks(db, node, log);
  if (claim.marks.length === 0) return { nodes: 0, marks: 0 };
  markDirty(target, pendingOf(claim.marks));
  return { nodes: claim.nodes.length, marks: claim.marks.length };
}
