import type { Transaction } from 'kysely';
import { rebuildCustody } from '../domain/custody-reconcile.js';
import type { ChangeLog } from '../domain/exposure.js';
import type { LockRule } from '../domain/locks/lock-rule.js';
import { deriveRepo } from '../store/derive-repo.js';
import { claimMarks, deleteMarks, marksDb } from '../store/evaluation-marks.js';
import type { DomainDatabase } from '../store/schema.js';

type Trx = Transaction<DomainDatabase>;

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
