import type { AuditLogTable } from './audit-chain.js';
import { type DeepCheck, type DeepFinding, entryJson, show } from './deep-verify-types.js';
import { lockSubject } from './locks/lock-subject.js';

/** A lock as the audit trail leaves it: state, signed decision and hold, and the entry that last set them. */
export interface ReplayedLock {
  state: string;
  dispositionId: string | null;
  /** null when the trail does not say (a merge that took the other row's hold records no hold). */
  held: boolean | null;
  seq: number;
  action: string;
}

/** The lock key the trail names (`lock` entries' entity id): `<epc>|<public subject id>`. */
export const lockKey = (epc: string, subject: string) => `${epc}|${subject}`;

/**
 * Replays the lock entries of the trail (docs/architecture.md "Audit trail", "Affected stock and locks"):
 * created, reinstated, held, lifted, moved and merged locks, and the signed dispositions that set locks to
 * released or rejected. What is left is every lock row the trail accounts for.
 */
export function replayLocks(audit: readonly AuditLogTable[]): Map<string, ReplayedLock> {
  const locks = new Map<string, ReplayedLock>();
  const set = (key: string, e: AuditLogTable, patch: Partial<ReplayedLock>) => {
    const was = locks.get(key) ?? { state: 'active', dispositionId: null, held: false, seq: 0, action: '' };
    locks.set(key, { ...was, ...patch, seq: e.seq, action: e.action });
  };
  for (const e of audit) {
    const after = entryJson(e.after_json);
    if (e.action.startsWith('disposition.') && after && typeof after.dispositionId === 'string') {
      const before = entryJson(e.before_json);
      const units = Array.isArray(before?.locks) ? (before.locks as Array<{ epc?: unknown }>) : [];
      for (const u of units) {
        if (typeof u.epc !== 'string') continue;
        set(lockKey(u.epc, e.entity_id), e, {
          state: String(after.state),
          dispositionId: after.dispositionId,
        });
      }
      continue;
    }
    if (e.entity_type !== 'lock') continue;
    const epc = e.entity_id.slice(0, e.entity_id.indexOf('|'));
    switch (e.action) {
      case 'lock.created':
        set(e.entity_id, e, { state: 'active', dispositionId: null, held: false });
        break;
      case 'lock.reinstated':
        set(e.entity_id, e, { state: 'active' });
        break;
      case 'lock.held':
        set(e.entity_id, e, { held: true });
        break;
      case 'lock.lifted':
        set(e.entity_id, e, { state: 'lifted' });
        break;
      case 'lock.moved': {
        const was = locks.get(e.entity_id);
        locks.delete(e.entity_id);
        const into = lockKey(epc, String(after?.excursionId));
        locks.set(into, {
          ...(was ?? { state: 'active', dispositionId: null, held: null }),
          seq: e.seq,
          action: e.action,
        });
        break;
      }
      case 'lock.merged': {
        const merged = locks.get(e.entity_id);
        locks.delete(e.entity_id);
        const into = lockKey(epc, String(after?.excursionId));
        const there = locks.get(into);
        set(into, e, {
          state: String(after?.state ?? there?.state ?? 'active'),
          dispositionId: (after?.dispositionId as string | null | undefined) ?? null,
          // The stronger row wins with its hold, which the entry does not record: known only if both agree.
          held: merged?.held === there?.held ? (there?.held ?? null) : null,
        });
        break;
      }
    }
  }
  return locks;
}

/**
 * Locks against the trail: a row the trail does not account for (inserted directly), a lock the trail has
 * but the table lacks (deleted), and a state, signed decision or hold other than the trail's last word
 * (e.g. unlocked, or a reject flipped to release).
 */
export const lockCheck: DeepCheck = {
  name: 'locks',
  covers: 'locks replayed from lock.* and disposition.* entries',
  run({ audit, locks }) {
    const out: DeepFinding[] = [];
    const replayed = replayLocks(audit);
    const f = (row: string, seq: number | null, detail: string) =>
      out.push({ check: 'locks', table: 'locks', row, auditSeq: seq, detail });
    const seen = new Set<string>();
    for (const r of locks) {
      const key = lockKey(r.epc, lockSubject(r.cause, r.rule_key));
      seen.add(key);
      const x = replayed.get(key);
      if (!x) {
        f(key, null, `state ${r.state}: no audit entry records this lock (written outside the audited path)`);
        continue;
      }
      const at = `audit entry ${x.seq} (${x.action})`;
      if (r.state !== x.state) f(key, x.seq, `state ${r.state}, but ${at} left it ${x.state}`);
      if ((r.disposition_id ?? null) !== x.dispositionId)
        f(
          key,
          x.seq,
          `disposition_id ${show(r.disposition_id)}, but ${at} recorded ${show(x.dispositionId)}`,
        );
      if (x.held !== null && (r.hold_reason !== null) !== x.held)
        f(
          key,
          x.seq,
          `${r.hold_reason !== null ? 'held' : 'not held'}, but ${at} left it ${x.held ? 'held' : 'not held'}`,
        );
    }
    for (const [key, x] of replayed) {
      if (!seen.has(key))
        f(
          key,
          x.seq,
          `missing: audit entry ${x.seq} (${x.action}) left it ${x.state}; the row was deleted outside the audited path`,
        );
    }
    return out;
  },
};
