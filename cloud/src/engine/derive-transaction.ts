import type { Clock } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import { ChangeLog } from '../domain/exposure.js';
import type { LockRule } from '../domain/locks/lock-rule.js';
import { appendAudit, lockAuditHead } from '../store/audit-append.js';
import { lockDerivation } from '../store/derive-lock.js';
import { lotsOfUnits } from '../store/lock-writes.js';
import type { Dialect } from '../store/migrations.js';
import { enqueueEvents } from '../store/outbox.js';
import type { DomainDatabase } from '../store/schema.js';

type Trx = Transaction<DomainDatabase>;

/** What a derive transaction needs of its engine. */
export interface DeriveContext {
  db: Kysely<DomainDatabase>;
  dialect: Dialect;
  clock: Clock;
  rules: readonly LockRule[];
  /** Called after a transaction that enqueued integration events committed. */
  onEvents?: (() => void) | undefined;
}

/** A location's derive transaction that must run again under the exclusive derive lock. */
class SpannedLocations extends Error {}

/**
 * One transaction for derived state: serialised across processes on PostgreSQL, audit + outbox appended.
 * `at` is the time of the change, given to `fn` as `now` and stamped on its audit entries: by default
 * the data clock's now; a person's action (a signed disposition) passes its wall-clock time
 * (docs/architecture.md "Time"). The outbox rows are scheduled on the engine's clock, the one its
 * dispatcher polls with. `locations`: the transaction evaluates only these locations' readings, and
 * serialises only with transactions of the same locations and those that touch more (`lockDerivation`);
 * unless a lock rule's evaluation of a location reads others' state (`spansLocations`).
 */
export async function deriveTransaction<T>(
  ctx: DeriveContext,
  fn: (trx: Trx, log: ChangeLog, now: number) => Promise<T>,
  at?: number,
  locations?: readonly string[],
): Promise<T> {
  const clockNow = ctx.clock.now();
  const now = at ?? clockNow;
  const spans = () => ctx.rules.some((r) => r.spansLocations?.());
  const scope = ctx.dialect === 'postgres' && locations && !spans() ? locations : undefined;
  let events = 0;
  const result = await ctx.db
    .transaction()
    .execute(async (trx) => {
      await lockDerivation(trx, ctx.dialect, scope);
      const log = new ChangeLog();
      const r = await fn(trx, log, now);
      // A rule that learnt here that it spans locations (a product's rules appeared) wrote under the
      // locations' locks only: roll back, and derive again under the exclusive lock.
      if (scope && spans()) throw new SpannedLocations();
      await appendAudit(trx, log.audit, now);
      const evs = await log.events(lotsOfUnits(trx));
      // Outbox ids in commit order across processes: inserted under the audit head's lock (appending took it).
      if (evs.length > 0 && log.audit.length === 0) await lockAuditHead(trx);
      events = await enqueueEvents(trx, evs, clockNow);
      return r;
    })
    .catch((err) => {
      if (err instanceof SpannedLocations) return deriveTransaction(ctx, fn, at);
      throw err;
    });
  if (events > 0) ctx.onEvents?.();
  return result;
}
