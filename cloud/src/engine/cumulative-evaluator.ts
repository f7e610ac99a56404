import { type Clock, errorMessage } from '@coldtrace/shared';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Activity } from '../activity.js';
import { cumulativeExposures, ruledUnits } from '../domain/cumulative-exposure.js';
import { applyCumulativeLocks } from '../domain/cumulative-locks.js';
import { CUMULATIVE_CAUSE } from '../domain/cumulative-rules.js';
import { lotReads } from '../store/lot-reads.js';
import { ruleRepo } from '../store/rule-repo.js';
import type { DomainDatabase } from '../store/schema.js';
import type { DomainEngine } from './domain-engine.js';

type Trx = Transaction<DomainDatabase>;

/** Readings of one location as ingest reports them: event-time window, optionally per sensor. */
export interface CumulativeReadingWindow {
  fromTs: number;
  toTs: number;
  sensors?: ReadonlyMap<string, { fromTs: number; toTs: number }> | undefined;
}

interface Dirty {
  epcs: Set<string>;
  products: Set<string>;
  /** location → 'all' (whole history) or per sensor its event-time window. */
  locations: Map<string, 'all' | Map<string, { fromTs: number; toTs: number }>>;
}

const empty = (): Dirty => ({ epcs: new Set(), products: new Set(), locations: new Map() });

/**
 * WHO PQS-style cumulative rules (docs/domain.md "Cumulative rules"): keeps the cumulative-rule locks in
 * line with the accepted events. Readings, movements and product rule changes mark what they can change;
 * a flush (debounced, after the domain engine has brought custody up to date) recomputes the affected
 * units' whole-custody exposure and applies the locks in one derive transaction (audit + lock events),
 * serialised with the engine's own recomputation and with dispositions (`DomainEngine.exclusive`).
 * The locks are a function of the stored readings, custody and master data only: late data recomputes.
 */
export class CumulativeEvaluator {
  private dirty = empty();
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private closed = false;
  /** Whether any product has rules or any cumulative lock exists (else nothing to do); undefined = unknown. */
  private active: boolean | undefined;
  /** Units evaluated (for tests and the benchmark). */
  readonly stats = { flushes: 0, units: 0 };

  constructor(
    readonly opts: {
      engine: DomainEngine;
      clock: Clock;
      log: Logger;
      debounceMs?: number | undefined;
      /** Where the evaluation reports its work in progress (the cloud's `activity`). */
      activity?: Activity | undefined;
    },
  ) {}

  private tracked<T>(kind: string, work: Promise<T>): Promise<T> {
    return this.opts.activity ? this.opts.activity.track(kind, work) : work;
  }

  private get db(): Kysely<DomainDatabase> {
    return this.opts.engine.db;
  }

  /** Readings were committed at these locations over these windows (as the ingestor reports them). */
  markReadings(windows: ReadonlyMap<string, CumulativeReadingWindow> | Iterable<string>): void {
    const entries: Array<[string, CumulativeReadingWindow | undefined]> =
      windows instanceof Map
        ? [...windows.entries()]
        : [...(windows as Iterable<string>)].map((id) => [id, undefined]);
    for (const [id, w] of entries) {
      const cur = this.dirty.locations.get(id);
      if (cur === 'all') continue;
      if (!w?.sensors || !Number.isFinite(w.fromTs) || !Number.isFinite(w.toTs)) {
        this.dirty.locations.set(id, 'all');
        continue;
      }
      const m = cur ?? new Map<string, { fromTs: number; toTs: number }>();
      for (const [sensor, s] of w.sensors) {
        const c = m.get(sensor);
        m.set(
          sensor,
          c
            ? { fromTs: Math.min(c.fromTs, s.fromTs), toTs: Math.max(c.toTs, s.toTs) }
            : { fromTs: s.fromTs, toTs: s.toTs },
        );
      }
      this.dirty.locations.set(id, m);
    }
    this.schedule();
  }

  /** Movements (or commissioning) of these EPCs were committed. */
  markEpcs(epcs: Iterable<string>): void {
    for (const e of epcs) this.dirty.epcs.add(e.toUpperCase());
    this.schedule();
  }

  /**
   * Marks every product that has rules (so every unit of their lots is re-evaluated). The marks above
   * live in memory only; this is the recovery: the cloud runs it at start (a process that died with
   * marks pending loses nothing) and every `cumulativeSweepMs` (another process on a shared PostgreSQL
   * store that died is covered too). Returns the number of products marked.
   */
  markAllRuled(): Promise<number> {
    return this.tracked('cumulative rule sweep', this.markAllRuledNow());
  }

  private async markAllRuledNow(): Promise<number> {
    const rows = await this.db
      .selectFrom('products')
      .select('gtin')
      .where('cumulative_rules', '!=', '[]')
      .execute();
    for (const r of rows) this.markProduct(r.gtin);
    return rows.length;
  }

  /** A product's rules changed: every unit of its lots is re-evaluated. */
  markProduct(gtin: string): void {
    this.dirty.products.add(gtin);
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err) =>
        this.opts.log.error({ err: errorMessage(err) }, 'cumulative rule evaluation failed'),
      );
    }, this.opts.debounceMs ?? 20);
  }

  /**
   * Evaluates everything marked so far; resolves when the cumulative locks reflect every event marked
   * before the call. Custody is brought up to date first (the engine's flush), so a movement marked on
   * both is seen by the evaluation.
   */
  flush(): Promise<void> {
    return this.tracked('cumulative rules', this.flushNow());
  }

  private async flushNow(): Promise<void> {
    const snap = this.dirty;
    this.dirty = empty();
    if (snap.epcs.size === 0 && snap.products.size === 0 && snap.locations.size === 0) return;
    try {
      // No product with rules and no cumulative lock: nothing to do (and the engine keeps its own pace).
      if (snap.products.size === 0 && !(await this.isActive())) return;
      await this.opts.engine.flush();
      await this.opts.engine.exclusive(() => this.evaluate(snap));
    } catch (err) {
      for (const e of snap.epcs) this.dirty.epcs.add(e);
      for (const p of snap.products) this.dirty.products.add(p);
      for (const [l, w] of snap.locations) if (!this.dirty.locations.has(l)) this.dirty.locations.set(l, w);
      throw err;
    }
  }

  private async isActive(): Promise<boolean> {
    // Only "true" is kept: rules given by other means than `markProduct` are found at the next evaluation.
    if (this.active !== true) {
      const rules = await this.db
        .selectFrom('products')
        .select('gtin')
        .where('cumulative_rules', '!=', '[]')
        .limit(1)
        .executeTakeFirst();
      const locks = await this.db
        .selectFrom('locks')
        .select('epc')
        .where('cause', '=', CUMULATIVE_CAUSE)
        .limit(1)
        .executeTakeFirst();
      this.active = Boolean(rules || locks);
    }
    return this.active;
  }

  private async evaluate(d: Dirty): Promise<void> {
    if (d.products.size === 0 && !(await this.isActive())) return;
    this.stats.flushes++;
    await this.opts.engine.derive(async (trx, log, now) => {
      const epcs = new Set(d.epcs);
      if (d.products.size) {
        const rows = await trx
          .selectFrom('epcs')
          .innerJoin('lots', 'lots.id', 'epcs.lot_id')
          .select('epcs.epc as epc')
          .where('lots.gtin', 'in', [...d.products])
          .execute();
        for (const r of rows) epcs.add(r.epc);
      }
      for (const [loc, w] of d.locations) for (const e of await this.affectedAt(trx, loc, w)) epcs.add(e);
      if (epcs.size === 0) return;
      const list = [...epcs].sort();
      const reads = lotReads(trx);
      const units = await ruledUnits(reads, list);
      const computed = await cumulativeExposures(reads, units);
      this.stats.units += list.length;
      await applyCumulativeLocks(ruleRepo(trx, log, now), list, computed);
    });
  }

  /**
   * Units of products with rules whose exposure new readings at a location may change: a reading changes
   * its sensor's state from its last known reading before it to its next known reading after it, so the
   * units there at any time of that span (all units ever there without per-sensor windows).
   */
  private async affectedAt(
    trx: Trx,
    locationId: string,
    w: 'all' | Map<string, { fromTs: number; toTs: number }>,
  ): Promise<string[]> {
    const spans: Array<{ lo: number; hi: number }> = [];
    if (w === 'all') spans.push({ lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY });
    else {
      for (const [sensorId, s] of w) {
        const known = (op: '<' | '>', ts: number) =>
          trx
            .selectFrom('readings')
            .select('ts')
            .where('sensor_id', '=', sensorId)
            .where('location_id', '=', locationId)
            .where('ts', op, ts)
            .where('temp_c', 'is not', null)
            .orderBy('ts', op === '<' ? 'desc' : 'asc')
            .limit(1)
            .executeTakeFirst();
        const lo = (await known('<', s.fromTs))?.ts ?? Number.NEGATIVE_INFINITY;
        const hi = (await known('>', s.toTs))?.ts ?? Number.POSITIVE_INFINITY;
        spans.push({ lo, hi });
      }
    }
    const out = new Set<string>();
    for (const { lo, hi } of spans) {
      let q = trx
        .selectFrom('custody')
        .innerJoin('epcs', 'epcs.epc', 'custody.epc')
        .innerJoin('lots', 'lots.id', 'epcs.lot_id')
        .innerJoin('products', 'products.gtin', 'lots.gtin')
        .select('custody.epc as epc')
        .where('custody.location_id', '=', locationId)
        .where('products.cumulative_rules', '!=', '[]');
      if (Number.isFinite(hi)) q = q.where('custody.entered_at', '<', hi);
      if (Number.isFinite(lo))
        q = q.where((eb) => eb.or([eb('custody.left_at', 'is', null), eb('custody.left_at', '>', lo)]));
      for (const r of await q.execute()) out.add(r.epc);
    }
    return [...out];
  }

  async close(): Promise<void> {
    this.closed = true;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
