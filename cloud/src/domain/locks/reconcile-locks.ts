import type { AuditInput } from '../audit-chain.js';
import type { LockEventPayload } from '../domain-events.js';
import { lockSubject } from './lock-subject.js';

/** What locks a unit: an excursion it was exposed to, or a rule of its product or location. */
export type LockCause = 'excursion' | 'cumulative' | 'rate_of_change';

/** A stored lock (`locks`), as the reconciliation needs it. `key` names what locked it within its cause. */
export interface StoredLock {
  epc: string;
  key: string;
  location_id: string;
  exposed_from: number;
  exposed_to: number | null;
  state: string;
  disposition_id: string | null;
  hold_reason: string | null;
}

/** A lock a rule wants: this unit, for this key, from `from` (to `to`, null while it lasts). */
export interface DesiredLock {
  epc: string;
  key: string;
  locationId: string;
  from: number;
  to: number | null;
  /** The unit's lot when the rule knows it (else looked up when the events are sent). */
  lotId?: string | null | undefined;
}

/** A row change the store applies: insert a lock, or update one (by unit and key). */
export type LockWrite =
  | {
      kind: 'insert';
      epc: string;
      key: string;
      locationId: string;
      from: number;
      to: number | null;
      reason: string;
    }
  | { kind: 'update'; epc: string; key: string; set: LockUpdate };

export interface LockUpdate {
  state?: 'active' | 'lifted';
  reason?: string;
  exposed_from?: number;
  exposed_to?: number | null;
  location_id?: string;
  hold_reason?: string;
}

export interface LockEvent {
  type: 'lock' | 'unlock';
  key: string;
  locationId: string;
  epc: string;
  lotId: string | null | undefined;
  reason: string;
  /** Fields a rule adds to its events (the wire shape of `LockEventPayload`). */
  extra: Partial<LockEventPayload>;
}

/** The writes, audit entries and events that bring one scope's locks in line with what a rule wants. */
export interface LockPlan {
  writes: LockWrite[];
  audit: AuditInput[];
  events: LockEvent[];
  /** Keys that gained an active lock (their review reopens). */
  gained: Set<string>;
}

/** What to do with an active lock no QA decision touched when its rule no longer wants it. */
export type Removal =
  | { kind: 'lift'; reason: string; before: Record<string, unknown>; after: Record<string, unknown> }
  | { kind: 'hold'; why: string };

/**
 * How one rule words its locks; the decisions are the same for every rule (`reconcileLocks`). `D` is the
 * rule's own desired lock, carrying the facts its texts quote.
 */
export interface LockWording<D extends DesiredLock> {
  /** The rule whose locks these are (audit entries name a lock by unit and `lockSubject`). */
  readonly cause: LockCause;
  /** The lock's reason: stored on the row and sent with its lock event. */
  reason(d: D): string;
  /** The audit reason of a change, given the lock's reason (a rule may prefix what caused the recomputation). */
  audited(text: string): string;
  /** Audit `after` of a new lock and of a reinstated one. */
  created(d: D): Record<string, unknown>;
  reinstated(d: D): Record<string, unknown>;
  /** The update and audit entry when a wanted lock's window moved; null when it did not. */
  windowChange(
    row: StoredLock,
    d: D,
  ): {
    set: LockUpdate;
    before: Record<string, unknown>;
    after: Record<string, unknown>;
    reason: string;
  } | null;
  removal(row: StoredLock): Removal;
  /** The reason a lock event gives (default: the lock's reason). */
  eventReason?(d: D): string;
  /** Fields the rule's lock/unlock events carry beyond the common ones. */
  eventExtra(key: string): Partial<LockEventPayload>;
}

const HOLD_SUFFIX =
  '; this change would have removed the lock: it stays locked pending QA review, and only a signed disposition releases it';

/**
 * docs/architecture.md "Affected stock and locks", for every rule: brings the stored locks of one scope in
 * line with the locks the rule wants there. A wanted lock that does not exist is created; a lifted one is
 * reinstated; one whose window moved is updated (a signed state stays). A lock no longer wanted is lifted
 * only when it is active, no QA decision touched it and it is not held; the rule may hold it instead (a
 * master-data change never lifts a lock). Released and rejected locks stay as signed. Pure: returns what to
 * write, audit and send.
 */
export function reconcileLocks<D extends DesiredLock>(
  existing: readonly StoredLock[],
  desired: readonly D[],
  wording: LockWording<D>,
): LockPlan {
  const plan: LockPlan = { writes: [], audit: [], events: [], gained: new Set() };
  const id = (epc: string, key: string) => `${epc}|${lockSubject(wording.cause, key)}`;
  const stored = new Map(existing.map((r) => [id(r.epc, r.key), r]));
  const event = (
    type: 'lock' | 'unlock',
    key: string,
    locationId: string,
    epc: string,
    reason: string,
    lotId?: string | null,
  ) => plan.events.push({ type, key, locationId, epc, lotId, reason, extra: wording.eventExtra(key) });
  for (const d of desired) {
    const row = stored.get(id(d.epc, d.key));
    stored.delete(id(d.epc, d.key));
    const reason = wording.reason(d);
    const eventReason = wording.eventReason?.(d) ?? reason;
    if (!row) {
      plan.writes.push({
        kind: 'insert',
        epc: d.epc,
        key: d.key,
        locationId: d.locationId,
        from: d.from,
        to: d.to,
        reason,
      });
      plan.audit.push({
        actor: 'system',
        action: 'lock.created',
        entityType: 'lock',
        entityId: id(d.epc, d.key),
        after: wording.created(d),
        reason: wording.audited(reason),
      });
      event('lock', d.key, d.locationId, d.epc, eventReason, d.lotId);
      plan.gained.add(d.key);
      continue;
    }
    if (row.state === 'lifted') {
      plan.writes.push({
        kind: 'update',
        epc: d.epc,
        key: d.key,
        set: { state: 'active', reason, exposed_from: d.from, exposed_to: d.to, location_id: d.locationId },
      });
      plan.audit.push({
        actor: 'system',
        action: 'lock.reinstated',
        entityType: 'lock',
        entityId: id(d.epc, d.key),
        before: { state: 'lifted' },
        after: wording.reinstated(d),
        reason: wording.audited(reason),
      });
      event('lock', d.key, d.locationId, d.epc, eventReason, d.lotId);
      plan.gained.add(d.key);
      continue;
    }
    const moved = wording.windowChange(row, d);
    if (moved) {
      plan.writes.push({ kind: 'update', epc: d.epc, key: d.key, set: moved.set });
      plan.audit.push({
        actor: 'system',
        action: 'lock.window_changed',
        entityType: 'lock',
        entityId: id(d.epc, d.key),
        before: moved.before,
        after: moved.after,
        reason: moved.reason,
      });
    }
  }
  for (const row of stored.values()) {
    if (row.state !== 'active' || row.disposition_id !== null || row.hold_reason !== null) continue;
    const r = wording.removal(row);
    if (r.kind === 'hold') {
      const reason = `${r.why}${HOLD_SUFFIX}`;
      plan.writes.push({ kind: 'update', epc: row.epc, key: row.key, set: { hold_reason: reason } });
      plan.audit.push({
        actor: 'system',
        action: 'lock.held',
        entityType: 'lock',
        entityId: id(row.epc, row.key),
        before: { state: 'active', held: false },
        after: { state: 'active', held: true },
        reason,
      });
      continue;
    }
    plan.writes.push({
      kind: 'update',
      epc: row.epc,
      key: row.key,
      set: { state: 'lifted', reason: r.reason },
    });
    plan.audit.push({
      actor: 'system',
      action: 'lock.lifted',
      entityType: 'lock',
      entityId: id(row.epc, row.key),
      before: r.before,
      after: r.after,
      reason: r.reason,
    });
    event('unlock', row.key, row.location_id, row.epc, r.reason);
  }
  return plan;
}
