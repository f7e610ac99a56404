import type { Transaction } from 'kysely';
import { rebuildCustody } from '../domain/custody-reconcile.js';
import type { ChangeLog } from '../domain/exposure.js';
import type { LockRule } from '../domain/locks/lock-rule.js';
import { deriveRepo } from '../store/derive-repo.js';
import { claimMarks, deleteMarks, marksDb } from '../store/evaluation-marks.js';
import type { Dialect } from '../store/migrations.js';
import type { DomainDatabase } from '../store/schema.js';

type Trx = Transaction<DomainDatabase>;

/**
 * Units per derive transaction of a custody rebuild. A rebuild takes the derive lock exclusively (every
 * other derive transaction, of any cloud on the database, waits for it), so ordinary rebuilds stay at 200.
 * On PostgreSQL a set holding units of the start's recovery, which the cloud is not ready until it has
 * rebuilt, goes 1,000 per transaction: a fifth of the transactions and round trips (docs/performance.md
 * "Where PostgreSQL's start to ready goes"), each lock held about 3 times as long (0.20–0.22 s at load 3 to
 * 7). Not on SQLite: no round trips to save, and a transaction there holds the event loop (about 140 ms
 * for 1,000 units against 22 ms for 200, and no faster in all).
 */
export const UNITS_PER_TRANSACTION = 200;
export const RECOVERY_UNITS_PER_TRANSACTION = 1000;

/** These EPCs (deduplicated, in EPC order) in the chunks that are each one derive transaction. */
export function unitChunks(
  epcs: readonly string[],
  dialect: Dialect,
  recovering: (epc: string) => boolean,
): string[][] {
  const sorted = [...new Set(epcs)].sort();
  const start = dialect === 'postgres' && sorted.some(recovering);
  const size = start ? RECOVERY_UNITS_PER_TRANSACTION : UNITS_PER_TRANSACTION;
  const out: string[][] = [];
  for (let i = 0; i < sorted.length; i += size) out.push(sorted.slice(i, i + size));
  return out;
}

/**
 * Inside a derive transaction: rebuilds the custody of these EPCs, claiming (and clearing) their evaluation
 * marks, then tells every lock rule (excursions first) of the units whose custody was rebuilt.
 */
export async function rebuildEpcsIn(
  trx: Trx,
  log: ChangeLog,
  now: number,
  rules: readonly LockRule[],
  epcs: readonly string[],
): Promise<void> {
  // Claimed before the movements are read: every movement committed with a claimed mark is seen.
  const claimed = await claimMarks(marksDb(trx), 'epc', epcs);
  const repo = deriveRepo(trx, log, now);
  await rebuildCustody(repo, epcs, log);
  // Then every rule (excursions first) recomputes what those units' custody decides.
  for (const rule of rules) await rule.apply(repo, { kind: 'custody', epcs });
  await deleteMarks(marksDb(trx), claimed.ids);
}

/**
 * Inside a derive transaction: tells the lock rules of a product whose rules changed, claiming (and
 * clearing) its marks, whose causes name the change.
 */
export async function productChangedIn(
  trx: Trx,
  log: ChangeLog,
  now: number,
  rules: readonly LockRule[],
  gtin: string,
): Promise<void> {
  const repo = deriveRepo(trx, log, now);
  const claimed = await repo.claimMarks('product', [gtin]);
  const cause = claimed.causes.length ? { text: claimed.causes.join('; '), masterData: true } : undefined;
  for (const rule of rules) await rule.apply(repo, { kind: 'product', gtin, cause });
  await repo.deleteMarks(claimed.ids);
}
