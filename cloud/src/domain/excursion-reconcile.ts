import { overlap } from './custody.js';
import type { DeriveRepo } from './derive-repo.js';
import { horizonWindow } from './evaluation-horizon.js';
import {
  changeAction,
  contentOfRow,
  excursionContent,
  excursionId,
  sameContent,
} from './excursion-content.js';
import { applyExposures, type ChangeLog, type Exposure, type RecomputeCause } from './exposure.js';
import {
  evaluateWindow,
  limitVersionsOf,
  matchExcursions,
  type StoredExcursion,
  type TimeWindow,
} from './location-evaluation.js';
import { moveLocks } from './locks/move-locks.js';
import { isHeldHold, mergeHolds } from './locks/quantity-holds.js';
import { replaceGaps } from './monitoring-gaps.js';
import type { TailLimits } from './reading-tails.js';

/**
 * The state of an excursion a recomputation no longer finds but that is kept because units it locked are
 * still locked (held pending QA) or signed: it stays reviewable, and only a signed disposition releases them.
 */
export const WITHDRAWN = 'withdrawn';

export interface LocationOutcome {
  /** Excursions of the final window. */
  count: number;
  /** The final window (grown to cover every excursion touching it): what the evaluation settled. */
  window?: TimeWindow;
  /** What the evaluation found, for the in-range skip (absent when the location has no master data). */
  limits?: TailLimits & { minC: number; maxC: number };
  tails?: Map<string, number | null>;
}

/**
 * docs/architecture.md "Excursion": re-evaluates one location over a window inside the caller's derive
 * transaction (the engine claimed the evaluation marks that grew the window and name the `cause`). A cause
 * is a master-data change, which never lifts a lock (docs/architecture.md "Affected stock and locks"): a
 * lock it would lift is held, and an excursion it withdraws while units stay locked or signed is kept as
 * `withdrawn`.
 */
export async function reconcileLocationIn(
  repo: DeriveRepo,
  log: ChangeLog,
  now: number,
  locationId: string,
  w: TimeWindow,
  cause: RecomputeCause | undefined,
): Promise<LocationOutcome> {
  const location = await repo.location(locationId);
  // Readings of a location without master data are kept, evaluated once it exists (its creation marks it).
  if (!location) return { count: 0 };
  const versions = limitVersionsOf(location, await repo.limitVersions(locationId));
  // Never before the location's deleted readings (docs/domain.md "Evaluation horizon").
  const h = horizonWindow(w, await repo.deletedUntil?.(locationId));
  if (!h) return { count: 0, window: w };
  const ev = await evaluateWindow(repo, location, h.window, versions, h.deletedUntil);
  const match = matchExcursions(ev.stored, ev.computed);
  const storedById = new Map(ev.stored.map((s) => [s.id, s]));
  const touched = new Set<string>();

  // Stored excursions merged into another, or withdrawn, go first (their ids may be reused below).
  for (const [from, into] of match.mergedInto) {
    const s = storedById.get(from)!;
    const why = cause
      ? `${cause.text}: excursion ${from} joined to ${into}`
      : `late data joined excursion ${from} to ${into}`;
    await moveLocks(repo, from, into, log, why);
    const holds = repo.quantityHolds;
    if (holds) {
      // Lifted holds too: a lifted hold of the lot under `into` is the row the merged hold replaces (its key
      // is taken), and one under `from` moves rather than being left behind on a deleted excursion.
      const moved = mergeHolds(await holds.holdsOf(from), await holds.holdsOf(into), into, now, why);
      await holds.applyHoldPlan(moved);
      log.audit.push(...moved.audit);
    }
    await repo.deleteExcursion(from);
    log.audit.push({
      actor: 'system',
      action: 'excursion.merged',
      entityType: 'excursion',
      entityId: from,
      before: contentOfRow(s),
      after: { mergedInto: into },
      reason: why,
    });
    touched.add(into);
  }
  for (const id of match.withdrawn) {
    const s = storedById.get(id)!;
    if (s.state === WITHDRAWN) continue; // kept for review by an earlier withdrawal: nothing more to do
    await withdraw(repo, s, log, now, cause);
  }

  for (let i = 0; i < ev.computed.length; i++) {
    const c = ev.computed[i]!;
    const content = excursionContent(c);
    const keeper = match.keeperOf[i];
    if (keeper) {
      const before = storedById.get(keeper)!;
      const old = contentOfRow(before);
      if (!sameContent(old, content) || touched.has(keeper)) {
        const reopen = before.review_state === 'decided';
        // A withdrawn excursion found again (e.g. limits narrowed back) is reinstated, its locks with it.
        const action = before.state === WITHDRAWN ? 'excursion.reinstated' : changeAction(old, content);
        await repo.updateExcursion(keeper, {
          ...content,
          updated_at: now,
          version: before.version + 1,
          review_state: 'pending',
        });
        if (!sameContent(old, content)) {
          log.audit.push({
            actor: 'system',
            action,
            entityType: 'excursion',
            entityId: keeper,
            before: old,
            after: content,
            reason: cause?.text ?? 'readings received',
          });
        }
        if (reopen) {
          log.audit.push({
            actor: 'system',
            action: 'excursion.review_reopened',
            entityType: 'excursion',
            entityId: keeper,
            before: { reviewState: 'decided', version: before.version },
            after: { reviewState: 'pending', version: before.version + 1 },
            reason: `${cause?.text ?? 'later data'} changed the excursion after a QA decision; signed decisions stay in force`,
          });
        }
        touched.add(keeper);
      }
    } else {
      // The natural id (location@start) may be held by a stored excursion whose start has moved since;
      // then `#<now>`, and a counter after it: another derive (this process or another ingestor sharing
      // PostgreSQL) may have used the same `now` for the same start (a duplicate key aborted the derive).
      const id = await freeExcursionId(repo, excursionId(locationId, c.startTs), now);
      await repo.insertExcursion({
        id,
        location_id: locationId,
        ...content,
        updated_at: now,
        created_at: now,
        version: 1,
        review_state: 'pending',
      });
      log.audit.push({
        actor: 'system',
        action: 'excursion.opened',
        entityType: 'excursion',
        entityId: id,
        after: content,
        reason: cause?.text ?? 'readings received',
      });
      touched.add(id);
    }
  }

  await replaceGaps(repo, locationId, ev.scopes, ev.gaps, log, cause?.text ?? 'readings received');
  for (const id of touched) await exposuresOfExcursion(repo, id, log, cause);
  // The in-range shortcut judges later readings by the newest version: only tails under it are kept.
  const newest = versions.at(-1)!;
  const tails = new Map<string, number | null>();
  for (const [sensorId, ts] of ev.tails)
    tails.set(sensorId, ts !== null && ts >= newest.effectiveFrom ? ts : null);
  return {
    count: ev.computed.length,
    window: ev.window,
    limits: {
      minC: newest.spec.minC,
      maxC: newest.spec.maxC,
      maxGapMs: newest.spec.maxGapMs,
      effectiveFrom: newest.effectiveFrom,
    },
    tails,
  };
}

/**
 * A stored excursion the recomputation no longer finds. Deleted (`excursion.withdrawn`) with its automatic
 * locks lifted, unless units it locked must stay reviewable: after a master-data change, any lock not
 * lifted (active ones are held, signed ones stay); after late data, locks held by an earlier master-data
 * change. Then the row is kept with state `withdrawn` (a content change: version + 1; `pending` while a
 * lock is active) so QA can still sign a disposition on it (`dispositions.ts`).
 */
async function withdraw(
  repo: DeriveRepo,
  s: StoredExcursion,
  log: ChangeLog,
  now: number,
  cause: RecomputeCause | undefined,
): Promise<void> {
  const why = cause
    ? `${cause.text}: recomputation no longer finds this excursion`
    : 'recomputation over late data no longer finds this excursion';
  const locks = (await repo.locksOfKey(s.id)).filter((l) => l.state !== 'lifted');
  const kept = cause?.masterData
    ? locks
    : locks.filter((l) => l.state === 'active' && l.hold_reason !== null);
  // Quantity holds (units without serial) keep it as its locks do after a master-data change, and held
  // ones (quantity-holds.ts) after late data.
  const holds = (await repo.quantityHolds?.heldBy(s.id)) ?? [];
  const heldQuantity = cause?.masterData ? holds : holds.filter((h) => h.state === 'active' && isHeldHold(h));
  if (kept.length === 0 && heldQuantity.length === 0) {
    await repo.deleteExcursion(s.id);
    log.audit.push({
      actor: 'system',
      action: 'excursion.withdrawn',
      entityType: 'excursion',
      entityId: s.id,
      before: contentOfRow(s),
      reason: why,
    });
  } else {
    const active = kept.filter((l) => l.state === 'active').length;
    const signed = kept.length - active;
    const heldActive = heldQuantity.filter((h) => h.state === 'active');
    const review = active > 0 || heldActive.length > 0 ? 'pending' : s.review_state;
    const what = [
      active ? `${active} unit(s) it locked stay locked pending QA review` : '',
      heldActive.length
        ? `${heldActive.reduce((n, h) => n + h.units, 0)} unit(s) without serial it held stay held pending QA review`
        : '',
      signed ? `${signed} signed decision(s) stand` : '',
    ].filter(Boolean);
    await repo.updateExcursion(s.id, {
      state: WITHDRAWN,
      review_state: review,
      version: s.version + 1,
      updated_at: now,
    });
    log.audit.push({
      actor: 'system',
      action: 'excursion.withdrawn',
      entityType: 'excursion',
      entityId: s.id,
      before: { ...contentOfRow(s), reviewState: s.review_state, version: s.version },
      after: { state: WITHDRAWN, reviewState: review, version: s.version + 1 },
      reason: `${why}; kept for review: ${what.join(', ')}; only a signed disposition releases a locked unit`,
    });
  }
  await applyExposures(
    repo,
    { excursionId: s.id },
    [],
    cause ?? { text: `late data withdrew excursion ${s.id}`, masterData: false },
  );
}

async function exposuresOfExcursion(
  repo: DeriveRepo,
  id: string,
  log: ChangeLog,
  cause: RecomputeCause | undefined,
): Promise<void> {
  const x = await repo.excursion(id);
  if (!x) return;
  const desired = new Map<string, Exposure>();
  for (const c of await repo.custodyOverlapping(x.location_id, x.start_ts, x.end_ts)) {
    const o = overlap(c, x.start_ts, x.end_ts);
    if (!o) continue;
    const cur = desired.get(c.epc);
    desired.set(c.epc, {
      epc: c.epc,
      excursion_id: id,
      location_id: x.location_id,
      from: cur ? Math.min(cur.from, o.from) : o.from,
      to: cur ? (cur.to === null || o.to === null ? null : Math.max(cur.to, o.to)) : o.to,
    });
  }
  const gained = await applyExposures(repo, { excursionId: id }, [...desired.values()], cause);
  await reopenReview(repo, gained, log, cause ? `${cause.text}: units newly exposed` : 'units newly exposed');
}

/** Excursions that gained active locks go back to review (docs/architecture.md "Disposition"). */
export async function reopenReview(
  repo: DeriveRepo,
  ids: ReadonlySet<string>,
  log: ChangeLog,
  reason: string,
): Promise<void> {
  for (const id of ids) {
    if (await repo.reopenDecided(id)) {
      log.audit.push({
        actor: 'system',
        action: 'excursion.review_reopened',
        entityType: 'excursion',
        entityId: id,
        before: { reviewState: 'decided' },
        after: { reviewState: 'pending' },
        reason,
      });
    }
  }
}

/** `natural` if free, else `natural#<now>`, then `natural#<now>.2`, … (the first free one). */
export async function freeExcursionId(repo: DeriveRepo, natural: string, now: number): Promise<string> {
  let id = natural;
  for (let n = 1; await repo.excursionIdTaken(id); n++) id = `${natural}#${now}${n > 1 ? `.${n}` : ''}`;
  return id;
}
