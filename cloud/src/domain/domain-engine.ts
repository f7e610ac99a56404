import { type Clock, errorMessage } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { enqueueEvents } from '../integrations/outbox.js';
import type { CloudStore } from '../store/cloud-store.js';
import type { DomainDatabase } from '../store/schema.js';
import { appendAudit } from './audit-chain.js';
import { buildCustody, type CustodyInterval, overlap } from './custody.js';
import {
  changeAction,
  contentOfRow,
  excursionContent,
  excursionId,
  sameContent,
} from './excursion-content.js';
import { applyExposures, ChangeLog, type Exposure } from './exposure.js';
import { ALL_TIME, evaluateWindow, matchExcursions, type TimeWindow } from './location-evaluation.js';
import { mergeSpans, ReadingTails, type SensorSpan } from './reading-tails.js';

export { excursionContent, excursionId };

export interface DomainEngineOptions {
  store: CloudStore;
  clock: Clock;
  log: Logger;
  /** Coalescing delay between a change and its recomputation. */
  debounceMs?: number | undefined;
  /**
   * Skip evaluating windows whose readings provably change nothing (see ReadingTails). Default: on for
   * SQLite (single writer), always off for PostgreSQL.
   */
  skipInRange?: boolean | undefined;
  /** Called after a transaction that enqueued integration events committed. */
  onEvents?: (() => void) | undefined;
}

type Trx = Transaction<DomainDatabase>;

/**
 * A location's dirty window as ingest reports it: event time, and optionally the temperature span of the
 * readings (lets the engine tell a possibly lock-deciding batch, one with out-of-range readings, apart).
 */
export interface ReadingWindow extends TimeWindow {
  minC?: number | undefined;
  maxC?: number | undefined;
  /** Per sensor, its readings in the window as ingest saw them (lets an in-range window be skipped). */
  sensors?: ReadonlyMap<string, SensorSpan> | undefined;
}

/** Locations evaluated in one derive transaction by a background flush (one commit, one fsync). */
const LOCATIONS_PER_TRANSACTION = 4;

/**
 * The domain engine (DESIGN "Cloud → Semantics"): custody from movements, excursions from readings,
 * exposures and automatic locks, all derived state a function of the accepted events. Changes are
 * recomputed over the affected window (per location for readings, per EPC for movements), serialised
 * inside this process, and each recomputation is one transaction that also appends its audit entries and
 * integration events. On PostgreSQL a row lock serialises recomputation across ingestor processes.
 */
export class DomainEngine {
  readonly db: Kysely<DomainDatabase>;
  private readonly dirtyLocations = new Map<string, ReadingWindow>();
  /** Where each sensor's series ends in range (issue 6: in-range windows skip the store read-back). */
  private readonly tails = new ReadingTails();
  /** SQLite only: this process is then the store's single writer of readings (see ReadingTails). */
  private readonly skipInRange: boolean;
  /** Tails found by evaluations of the running derive transaction; applied after it commits. */
  private staged: Array<{
    id: string;
    limits: { minC: number; maxC: number; maxGapMs: number };
    tails: Map<string, number | null>;
  }> = [];
  /** Windows skipped without evaluation (for tests and the benchmark). */
  readonly skipped = { windows: 0 };
  /** Dirty locations whose new readings may decide an excursion (and so a lock): evaluated first. */
  private readonly urgentLocations = new Set<string>();
  /** Limits of the locations seen so far (min_c, max_c), only to rank dirty locations. */
  private readonly knownLimits = new Map<string, { minC: number; maxC: number }>();
  private readonly dirtyEpcs = new Set<string>();
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private urgentTimer: ReturnType<Clock['setTimeout']> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(readonly opts: DomainEngineOptions) {
    this.db = opts.store.db as unknown as Kysely<DomainDatabase>;
    this.skipInRange = opts.store.opened.dialect === 'sqlite' && opts.skipInRange !== false;
  }

  /**
   * Readings were committed at these locations over these event-time windows. Windows of one location
   * coalesce until its next evaluation. A window whose readings leave the location's limits (or of a
   * location not evaluated yet) may decide an excursion and so a lock: it is evaluated without the
   * debounce delay and before the others (issue 6: lock latency under background load).
   */
  markReadings(windows: ReadonlyMap<string, ReadingWindow> | Iterable<string>): void {
    const entries: Array<[string, ReadingWindow]> =
      windows instanceof Map
        ? [...windows.entries()]
        : [...(windows as Iterable<string>)].map((id) => [id, ALL_TIME]);
    let urgent = false;
    for (const [id, w] of entries) {
      const cur = this.dirtyLocations.get(id);
      this.dirtyLocations.set(
        id,
        cur
          ? {
              fromTs: Math.min(cur.fromTs, w.fromTs),
              toTs: Math.max(cur.toTs, w.toTs),
              sensors: mergeSpans(cur.sensors, w.sensors),
            }
          : { fromTs: w.fromTs, toTs: w.toTs, sensors: w.sensors },
      );
      if (this.mayDecide(id, w)) {
        this.urgentLocations.add(id);
        urgent = true;
      }
    }
    this.schedule(urgent);
  }

  private mayDecide(id: string, w: ReadingWindow): boolean {
    const limits = this.knownLimits.get(id);
    if (!limits || w.minC === undefined || w.maxC === undefined) return true;
    return w.minC < limits.minC || w.maxC > limits.maxC;
  }

  /** Movements of these EPCs were committed. */
  markEpcs(epcs: Iterable<string>): void {
    for (const e of epcs) this.dirtyEpcs.add(e);
    this.schedule();
  }

  private schedule(urgent = false): void {
    if (this.closed) return;
    const run = () =>
      this.flush().catch((err) =>
        this.opts.log.error({ err: errorMessage(err) }, 'domain recomputation failed'),
      );
    if (urgent && !this.urgentTimer) {
      this.urgentTimer = this.opts.clock.setTimeout(() => {
        this.urgentTimer = undefined;
        run();
      }, 0);
    }
    if (this.timer) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      run();
    }, this.opts.debounceMs ?? 20);
  }

  /** Runs `fn` after every recomputation queued before it (one at a time in this process). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Recomputes everything marked dirty; resolves when the derived state reflects every committed event. */
  flush(): Promise<void> {
    return this.exclusive(async () => {
      for (let round = 0; round < 100 && (this.dirtyEpcs.size || this.dirtyLocations.size); round++) {
        const epcs = [...this.dirtyEpcs];
        this.dirtyEpcs.clear();
        if (epcs.length) {
          try {
            await this.reconcileEpcsNow(epcs);
          } catch (err) {
            for (const e of epcs) this.dirtyEpcs.add(e);
            throw err;
          }
        }
        // Urgent locations one per transaction, as soon as they are marked (checked again between
        // transactions); the rest in groups, one commit each. Windows marked meanwhile coalesce.
        // Bounded per round so movements (EPCs) marked meanwhile are not starved by continuous ingest.
        let budget = this.dirtyLocations.size;
        while (budget > 0 && this.dirtyLocations.size > 0) {
          const picked: Array<[string, TimeWindow]> = [];
          const take = (id: string) => {
            const w = this.dirtyLocations.get(id);
            this.urgentLocations.delete(id);
            if (!w) return;
            this.dirtyLocations.delete(id);
            if (this.skipInRange && this.tails.trySkip(id, w)) {
              this.skipped.windows++;
              return;
            }
            picked.push([id, w]);
          };
          const urgent = this.urgentLocations.values().next();
          if (!urgent.done) take(urgent.value);
          else {
            for (const id of this.dirtyLocations.keys()) {
              if (picked.length >= LOCATIONS_PER_TRANSACTION) break;
              take(id);
            }
          }
          if (picked.length === 0) continue;
          budget -= picked.length;
          try {
            this.staged = [];
            await this.derive(async (trx, log, now) => {
              for (const [id, w] of picked) await this.reconcileLocationIn(trx, log, now, id, w);
            });
            this.applyStaged();
          } catch (err) {
            this.staged = [];
            this.markReadings(new Map(picked));
            throw err;
          }
        }
      }
      if (this.dirtyEpcs.size || this.dirtyLocations.size) this.schedule(this.urgentLocations.size > 0);
    });
  }

  /** Re-evaluates a location over a window (the whole history by default), e.g. after its limits changed. */
  reconcileLocation(locationId: string, window: TimeWindow = ALL_TIME): Promise<number> {
    return this.exclusive(() => this.reconcileLocationNow(locationId, window));
  }

  reconcileEpcs(epcs: readonly string[]): Promise<void> {
    return this.exclusive(() => this.reconcileEpcsNow(epcs));
  }

  /** One transaction for derived state: serialised across processes on PostgreSQL, audit + outbox appended. */
  async derive<T>(fn: (trx: Trx, log: ChangeLog, now: number) => Promise<T>): Promise<T> {
    const now = this.opts.clock.now();
    let events = 0;
    const result = await this.db.transaction().execute(async (trx) => {
      if (this.opts.store.opened.dialect === 'postgres') {
        await trx
          .insertInto('derive_locks')
          .values({ key: 'derive', n: 1 })
          .onConflict((oc) => oc.column('key').doUpdateSet({ n: sql`derive_locks.n + 1` }))
          .execute();
      }
      const log = new ChangeLog();
      const r = await fn(trx, log, now);
      await appendAudit(trx, log.audit, now);
      events = await enqueueEvents(trx, await log.events(trx), now);
      return r;
    });
    if (events > 0) this.opts.onEvents?.();
    return result;
  }

  // ---- custody ---------------------------------------------------------------------------------

  private async reconcileEpcsNow(epcs: readonly string[]): Promise<void> {
    const sorted = [...new Set(epcs)].sort();
    for (let i = 0; i < sorted.length; i += 200) {
      const chunk = sorted.slice(i, i + 200);
      await this.derive(async (trx, log, now) => {
        for (const epc of chunk) await this.rebuildCustody(trx, epc, log, now);
      });
    }
  }

  private async rebuildCustody(trx: Trx, epc: string, log: ChangeLog, now: number): Promise<void> {
    const moves = await trx
      .selectFrom('movements')
      .select(['gateway_id', 'seq', 'kind', 'from_location', 'to_location', 'ts'])
      .where('epc', '=', epc)
      .execute();
    const next = buildCustody(epc, moves);
    const stored = await trx
      .selectFrom('custody')
      .selectAll()
      .where('epc', '=', epc)
      .orderBy('entered_at')
      .execute();
    const key = (c: CustodyInterval) =>
      `${c.location_id}|${c.entered_at}|${c.left_at}|${c.gateway_id}|${c.seq}`;
    const changed = stored.length !== next.length || stored.some((s, i) => key(s) !== key(next[i]!));
    if (changed) {
      await trx.deleteFrom('custody').where('epc', '=', epc).execute();
      if (next.length) await trx.insertInto('custody').values(next).execute();
      const brief = (c: CustodyInterval) => ({ location: c.location_id, from: c.entered_at, to: c.left_at });
      const appended =
        stored.length > 0 &&
        stored.every((s, i) => i === stored.length - 1 || key(s) === key(next[i]!)) &&
        next.length > stored.length;
      log.audit.push({
        actor: 'system',
        action: 'custody.changed',
        entityType: 'epc',
        entityId: epc,
        before: stored.map(brief),
        after: next.map(brief),
        reason:
          stored.length === 0
            ? 'first movement of this EPC'
            : appended
              ? 'movement received'
              : 'late or out-of-order movement: custody rebuilt in event time',
      });
    }
    await this.exposuresOfEpc(trx, epc, next, log, now);
  }

  private async exposuresOfEpc(
    trx: Trx,
    epc: string,
    custody: readonly CustodyInterval[],
    log: ChangeLog,
    now: number,
  ): Promise<void> {
    const locations = [...new Set(custody.map((c) => c.location_id))];
    const desired = new Map<string, Exposure>();
    if (locations.length) {
      const excursions = await trx
        .selectFrom('excursions')
        .select(['id', 'location_id', 'start_ts', 'end_ts'])
        .where('location_id', 'in', locations)
        .execute();
      for (const x of excursions) {
        for (const c of custody) {
          if (c.location_id !== x.location_id) continue;
          const o = overlap(c, x.start_ts, x.end_ts);
          if (!o) continue;
          const cur = desired.get(x.id);
          desired.set(x.id, {
            epc,
            excursion_id: x.id,
            location_id: x.location_id,
            from: cur ? Math.min(cur.from, o.from) : o.from,
            to: cur ? (cur.to === null || o.to === null ? null : Math.max(cur.to, o.to)) : o.to,
          });
        }
      }
    }
    const gained = await applyExposures(trx, { epc }, [...desired.values()], log, now);
    await this.reopenReview(trx, gained, log, 'units newly exposed');
  }

  // ---- excursions -------------------------------------------------------------------------------

  private async reconcileLocationNow(locationId: string, window: TimeWindow): Promise<number> {
    this.staged = [];
    try {
      const n = await this.derive((trx, log, now) =>
        this.reconcileLocationIn(trx, log, now, locationId, window),
      );
      this.applyStaged();
      return n;
    } finally {
      this.staged = [];
    }
  }

  /** The tails found by the evaluations of a derive transaction that committed. */
  private applyStaged(): void {
    for (const s of this.staged) this.tails.set(s.id, s.limits, s.tails);
    this.staged = [];
  }

  /** DESIGN "Excursion": re-evaluates one location over a window inside the caller's derive transaction. */
  private async reconcileLocationIn(
    trx: Trx,
    log: ChangeLog,
    now: number,
    locationId: string,
    window: TimeWindow,
  ): Promise<number> {
    {
      const location = await trx
        .selectFrom('locations')
        .selectAll()
        .where('id', '=', locationId)
        .executeTakeFirst();
      if (!location) return 0; // readings of a location without master data are kept, evaluated once it exists
      this.knownLimits.set(locationId, { minC: location.min_c, maxC: location.max_c });
      const ev = await evaluateWindow(trx, location, window);
      this.staged.push({
        id: locationId,
        limits: { minC: location.min_c, maxC: location.max_c, maxGapMs: location.max_gap_ms },
        tails: ev.tails,
      });
      const match = matchExcursions(ev.stored, ev.computed);
      const storedById = new Map(ev.stored.map((s) => [s.id, s]));
      const touched = new Set<string>();

      // Stored excursions merged into another, or withdrawn, go first (their ids may be reused below).
      for (const [from, into] of match.mergedInto) {
        const s = storedById.get(from)!;
        await this.moveLocks(trx, from, into);
        await trx.deleteFrom('excursions').where('id', '=', from).execute();
        log.audit.push({
          actor: 'system',
          action: 'excursion.merged',
          entityType: 'excursion',
          entityId: from,
          before: contentOfRow(s),
          after: { mergedInto: into },
          reason: `late data joined excursion ${from} to ${into}`,
        });
        touched.add(into);
      }
      for (const id of match.withdrawn) {
        const s = storedById.get(id)!;
        await trx.deleteFrom('excursions').where('id', '=', id).execute();
        log.audit.push({
          actor: 'system',
          action: 'excursion.withdrawn',
          entityType: 'excursion',
          entityId: id,
          before: contentOfRow(s),
          reason: 'recomputation over late data no longer finds this excursion',
        });
        await applyExposures(trx, { excursionId: id }, [], log, now);
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
            await trx
              .updateTable('excursions')
              .set({
                ...content,
                updated_at: now,
                version: before.version + 1,
                review_state: 'pending',
              })
              .where('id', '=', keeper)
              .execute();
            if (!sameContent(old, content)) {
              log.audit.push({
                actor: 'system',
                action: changeAction(old, content),
                entityType: 'excursion',
                entityId: keeper,
                before: old,
                after: content,
                reason: 'readings received',
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
                reason:
                  'later data changed the excursion after a QA decision; signed decisions stay in force',
              });
            }
            touched.add(keeper);
          }
        } else {
          let id = excursionId(locationId, c.startTs);
          const clash = await trx
            .selectFrom('excursions')
            .select('id')
            .where('id', '=', id)
            .executeTakeFirst();
          if (clash) id = `${id}#${now}`;
          await trx
            .insertInto('excursions')
            .values({
              id,
              location_id: locationId,
              ...content,
              updated_at: now,
              created_at: now,
              version: 1,
              review_state: 'pending',
            })
            .execute();
          log.audit.push({
            actor: 'system',
            action: 'excursion.opened',
            entityType: 'excursion',
            entityId: id,
            after: content,
            reason: 'readings received',
          });
          touched.add(id);
        }
      }

      // Monitoring gaps of the analysed sensor spans.
      for (const s of ev.scopes) {
        let d = trx
          .deleteFrom('monitoring_gaps')
          .where('location_id', '=', locationId)
          .where('sensor_id', '=', s.sensorId);
        if (Number.isFinite(s.loTs)) d = d.where('from_ts', '>=', s.loTs);
        if (Number.isFinite(s.hiTs)) d = d.where('from_ts', '<', s.hiTs);
        await d.execute();
      }
      for (let i = 0; i < ev.gaps.length; i += 200) {
        await trx
          .insertInto('monitoring_gaps')
          .values(ev.gaps.slice(i, i + 200).map((g) => ({ ...g, location_id: locationId })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }

      for (const id of touched) await this.exposuresOfExcursion(trx, id, log, now);
      return ev.computed.length;
    }
  }

  /** Locks of a merged excursion follow it into the one it merged into (signed states kept). */
  private async moveLocks(trx: Trx, from: string, into: string): Promise<void> {
    const rows = await trx.selectFrom('locks').selectAll().where('excursion_id', '=', from).execute();
    for (const r of rows) {
      const there = await trx
        .selectFrom('locks')
        .selectAll()
        .where('excursion_id', '=', into)
        .where('epc', '=', r.epc)
        .executeTakeFirst();
      if (!there) {
        await trx
          .updateTable('locks')
          .set({ excursion_id: into })
          .where('excursion_id', '=', from)
          .where('epc', '=', r.epc)
          .execute();
      } else {
        if (there.disposition_id === null && r.disposition_id !== null) {
          await trx
            .updateTable('locks')
            .set({ state: r.state, disposition_id: r.disposition_id })
            .where('excursion_id', '=', into)
            .where('epc', '=', r.epc)
            .execute();
        }
        await trx.deleteFrom('locks').where('excursion_id', '=', from).where('epc', '=', r.epc).execute();
      }
    }
  }

  private async exposuresOfExcursion(trx: Trx, id: string, log: ChangeLog, now: number): Promise<void> {
    const x = await trx.selectFrom('excursions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!x) return;
    let q = trx.selectFrom('custody').selectAll().where('location_id', '=', x.location_id);
    if (x.end_ts !== null) q = q.where('entered_at', '<', x.end_ts);
    q = q.where((eb) => eb.or([eb('left_at', 'is', null), eb('left_at', '>', x.start_ts)]));
    const desired = new Map<string, Exposure>();
    for (const c of await q.execute()) {
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
    const gained = await applyExposures(trx, { excursionId: id }, [...desired.values()], log, now);
    await this.reopenReview(trx, gained, log, 'units newly exposed');
  }

  /** Excursions that gained active locks go back to review (DESIGN "Disposition"). */
  private async reopenReview(trx: Trx, ids: ReadonlySet<string>, log: ChangeLog, reason: string) {
    for (const id of ids) {
      const r = await trx
        .updateTable('excursions')
        .set({ review_state: 'pending' })
        .where('id', '=', id)
        .where('review_state', '=', 'decided')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) {
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

  async close(): Promise<void> {
    this.closed = true;
    this.opts.clock.clearTimeout(this.timer);
    this.opts.clock.clearTimeout(this.urgentTimer);
    this.timer = undefined;
    this.urgentTimer = undefined;
    await this.chain;
  }
}
