import type { AuditInput } from '../audit-chain.js';
import type { DeriveRepo } from '../derive-repo.js';
import type { ExposureReads } from '../exposure-reads.js';
import type { LockCause, LockPlan, StoredLock } from './reconcile-locks.js';

/** Why a recomputation runs when it is not (only) new data; `masterData`: a specification change caused it. */
export interface RecomputeCause {
  text: string;
  masterData: boolean;
}

/** What changed, as the domain engine tells its lock rules (inside the derive transaction that covers it). */
export type RuleChange =
  | {
      kind: 'readings';
      locationId: string;
      /** The event-time window recomputed (±Infinity: the whole history). */
      window: { fromTs: number; toTs: number };
      cause: RecomputeCause | undefined;
    }
  | { kind: 'custody'; epcs: readonly string[] }
  /** A product's specification changed (or it was created): its lots' units are re-evaluated. */
  | { kind: 'product'; gtin: string; cause: RecomputeCause | undefined };

/** An alarm a rule derived from the readings (`rule_alarms`); `id` is the key its locks name. */
export interface RuleAlarm {
  id: string;
  rule: LockCause;
  locationId: string;
  fromTs: number;
  toTs: number;
  detail: Record<string, unknown>;
}

/** A unit's stay at a location (custody), `leftAt` null while it is still there. */
export interface Stay {
  epc: string;
  locationId: string;
  enteredAt: number;
  leftAt: number | null;
}

/**
 * What a lock rule may read and write, in the derive transaction of the change (the store implements it):
 * plain data in, plain data out, so a rule is a pure function of what it reads.
 */
export interface RuleRepo {
  /** A location's readings as (sensor, ts, °C) in time order; null °C is a sensor error. */
  readings(locationId: string): Promise<Array<{ sensorId: string; ts: number; tempC: number | null }>>;
  /**
   * The end of the location's deleted readings (`archive prune`), if any: its evaluation horizon
   * (domain/evaluation-horizon.ts) keeps what was decided over them.
   */
  deletedUntil?(locationId: string): Promise<number | undefined>;
  alarms(rule: LockCause, scope: { locationId: string } | { ids: readonly string[] }): Promise<RuleAlarm[]>;
  /** Inserts, updates and deletes alarms (by id). */
  writeAlarms(change: { put: readonly RuleAlarm[]; remove: readonly string[] }): Promise<void>;
  /** Stays at a location overlapping [from, to]. */
  staysAt(locationId: string, from: number, to: number): Promise<Stay[]>;
  staysOf(epcs: readonly string[]): Promise<Stay[]>;
  /** Exposure reads (units and their rules, stays, a location's series) for rules over whole custody. */
  exposure: ExposureReads;
  /**
   * Units of products with cumulative rules at a location during the span new readings there can change:
   * for each sensor with a reading in the window, from its last known reading before it to its first after.
   */
  ruledUnitsAt(locationId: string, window: { fromTs: number; toTs: number }): Promise<string[]>;
  /** Units commissioned to lots of this product. */
  unitsOfProduct(gtin: string): Promise<string[]>;
  /** Whether any product has cumulative rules or any cumulative lock exists. */
  cumulativeInUse(): Promise<boolean>;
  locks(
    cause: LockCause,
    scope: { key: string } | { locationId: string } | { epcs: readonly string[] },
  ): Promise<StoredLock[]>;
  applyLockPlan(cause: LockCause, plan: LockPlan): Promise<void>;
  audit(entries: readonly AuditInput[]): void;
}

/** What a lock reconciliation reads and writes: a rule's stored locks in a scope, and the plan's writes. */
export type LockRepo = Pick<RuleRepo, 'locks' | 'applyLockPlan'>;

/**
 * A rule that locks stock (docs/architecture.md "Lock rules"): told by the domain engine what changed, it
 * recomputes what that change can touch, through the repo, and brings its locks in line with
 * `reconcileLocks`, the one reconciliation every rule shares. Excursions (with their custody) are the
 * engine's own derivation; cumulative rules and rate-of-change alarms are plug-ins.
 */
export interface LockRule {
  readonly cause: LockCause;
  /** Whether the rule reads this location's in-range readings (the engine then never skips them unread). */
  watches(locationId: string): boolean;
  /** Locations whose whole history the rule evaluates at start (its configuration may have changed). */
  locations(): readonly string[];
  /**
   * Whether its evaluation of a location's readings may read or write state that other locations'
   * evaluations write too (units' whole custody): the engine then serialises that evaluation with every
   * other derive transaction, not only with the same location's (docs/domain.md "Guarantees").
   */
  spansLocations?(): boolean;
  apply(repo: DeriveRepo, change: RuleChange): Promise<void>;
}
