import type { TempLimits } from '@coldtrace/shared';
import type { CustodyInterval, CustodyMovement } from './custody.js';
import type { ChangeLog } from './exposure.js';
import type { StoredExcursion, WindowReads } from './location-evaluation.js';
import type { RecomputeCause, RuleRepo } from './locks/lock-rule.js';
import type { QuantityHoldRepo } from './locks/quantity-holds.js';
import type { LocationsTable, LockRow } from './rows.js';
import type { SpecVersion } from './spec-versions.js';

/** The evaluation marks a derive transaction claimed (docs/architecture.md "Evaluation marks"). */
export interface ClaimedMarks {
  ids: number[];
  /** Union of the claimed windows (±Infinity where unbounded; from > to when nothing was claimed). */
  window: { fromTs: number; toTs: number };
  /** Causes other than new events, in claim order, without repeats. */
  causes: string[];
  /** True when a claimed mark stands for new events (no cause). */
  events: boolean;
}

export type { LockRow };

/**
 * What claimed marks change of a recomputation: the window grows to cover theirs, and their causes (a
 * master-data change by a person; new events have none) name what the derived changes follow.
 */
export function claimedChange(
  window: { fromTs: number; toTs: number },
  claimed: ClaimedMarks,
): { window: { fromTs: number; toTs: number }; cause: RecomputeCause | undefined } {
  return {
    window: {
      fromTs: Math.min(window.fromTs, claimed.window.fromTs),
      toTs: Math.max(window.toTs, claimed.window.toTs),
    },
    cause: claimed.causes.length
      ? {
          text: `${claimed.causes.join('; ')}${claimed.events ? '; with readings received' : ''}`,
          masterData: true,
        }
      : undefined,
  };
}

/**
 * Everything a derivation (custody, excursions and their locks) reads and writes inside its transaction,
 * as plain data (docs/architecture.md "Cloud"): the domain's recomputations are written against this
 * port, the store implements it (`store/derive-repo.ts`).
 */
export interface DeriveRepo extends RuleRepo, WindowReads {
  /** The derive transaction's audit entries and integration events, and its time. */
  readonly log: ChangeLog;
  readonly now: number;
  claimMarks(kind: 'location' | 'epc' | 'product', subjects: readonly string[]): Promise<ClaimedMarks>;
  deleteMarks(ids: readonly number[]): Promise<void>;
  location(id: string): Promise<LocationsTable | undefined>;
  /** The location's limit versions in force (docs/domain.md "Effective-dated specifications"); [] = none recorded. */
  limitVersions(locationId: string): Promise<SpecVersion<TempLimits>[]>;

  excursion(id: string): Promise<StoredExcursion | undefined>;
  excursionIdTaken(id: string): Promise<boolean>;
  insertExcursion(row: StoredExcursion): Promise<void>;
  updateExcursion(id: string, set: Partial<StoredExcursion>): Promise<void>;
  deleteExcursion(id: string): Promise<void>;
  /** Sets a decided excursion back to pending review; false when it was not decided. */
  reopenDecided(id: string): Promise<boolean>;
  /** Excursions at these locations that can expose units (withdrawn ones excluded). */
  exposingExcursions(
    locationIds: readonly string[],
  ): Promise<Array<{ id: string; location_id: string; start_ts: number; end_ts: number | null }>>;

  /** Monitoring gaps of a sensor starting in [loTs, hiTs) (open where not finite). */
  gaps(
    locationId: string,
    sensorId: string,
    loTs: number,
    hiTs: number,
  ): Promise<Array<{ from_ts: number; to_ts: number }>>;
  deleteGaps(locationId: string, sensorId: string, loTs: number, hiTs: number): Promise<void>;
  insertGaps(
    rows: ReadonlyArray<{ location_id: string; sensor_id: string; from_ts: number; to_ts: number }>,
  ): Promise<void>;

  /** Every lock row of an excursion, all states. */
  locksOfKey(key: string): Promise<LockRow[]>;
  lockAt(key: string, epc: string): Promise<LockRow | undefined>;
  updateLockRow(key: string, epc: string, set: Partial<LockRow>): Promise<void>;
  deleteLockRow(key: string, epc: string): Promise<void>;

  /** The movements of these units, by unit (absent: none); a few statements for any number of units. */
  movementsOf(epcs: readonly string[]): Promise<Map<string, CustodyMovement[]>>;
  /** These units' stored custody, by unit (absent: none), each by entry time. */
  custodyOf(epcs: readonly string[]): Promise<Map<string, CustodyInterval[]>>;
  /** Replaces the whole custody of each unit named, in batched statements. */
  replaceCustody(next: ReadonlyMap<string, readonly CustodyInterval[]>): Promise<void>;
  /** Custody at a location overlapping [from, to) (`to` null: open-ended). */
  custodyOverlapping(locationId: string, from: number, to: number | null): Promise<CustodyInterval[]>;
  /** Quantity holds and the scans of units without serial they follow (absent: no hold is derived). */
  quantityHolds?: QuantityHoldRepo | undefined;
}
