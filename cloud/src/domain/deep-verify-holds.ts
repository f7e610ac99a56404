import type { AuditLogTable } from './audit-chain.js';
import { type DeepCheck, type DeepFinding, entryJson, sameValue, show } from './deep-verify-types.js';
import { holdEntityId, isHeldHold } from './locks/quantity-holds.js';

/**
 * A quantity hold as the audit trail leaves it. A field is undefined when the trail does not say (a merge
 * that took the other row's decision records neither its decided units nor its window).
 */
export interface ReplayedHold {
  state: string;
  units: number | undefined;
  from: number | undefined;
  to: number | null | undefined;
  dispositionId: string | null;
  decidedUnits: number | null | undefined;
  decidedVersion: number | null | undefined;
  /** Held by a specification change (`quantity_hold.held`); null when the trail does not say. */
  held: boolean | null;
  /** The reason of the `quantity_hold.held` entry that held it (the row's `hold_reason`, 0033). */
  holdReason?: string | undefined;
  seq: number;
  action: string;
}

const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
const numOrNull = (v: unknown) => (v === null ? null : num(v));

/** A merge keeps the stronger of two holds (quantity-holds.ts `mergeHolds`): signed, then active, then lifted. */
const strength = (b: Record<string, unknown> | undefined) =>
  b?.dispositionId !== null && b?.dispositionId !== undefined ? 2 : b?.state === 'active' ? 1 : 0;

/**
 * Replays the quantity hold entries of the trail (docs/barcode.md "Quantity custody", quantity-holds.ts):
 * created, reinstated, changed, held, lifted, moved and merged holds, and the signed dispositions of a lot
 * that set its holds to released or rejected, covering the units they held. What is left is every hold row
 * the trail accounts for, under its key `<lot>|<location>|<excursion>`.
 */
export function replayHolds(audit: readonly AuditLogTable[]): Map<string, ReplayedHold> {
  const holds = new Map<string, ReplayedHold>();
  const unknown: Omit<ReplayedHold, 'seq' | 'action'> = {
    state: 'active',
    units: undefined,
    from: undefined,
    to: undefined,
    dispositionId: null,
    decidedUnits: undefined,
    decidedVersion: undefined,
    held: null,
  };
  const set = (key: string, e: AuditLogTable, patch: Partial<ReplayedHold>, base?: ReplayedHold) => {
    const was = base ?? holds.get(key) ?? { ...unknown, seq: 0, action: '' };
    holds.set(key, { ...was, ...patch, seq: e.seq, action: e.action });
  };
  /** What an entry's `after` (or a merge's brief of a row) says of state, units and decision. */
  const brief = (a: Record<string, unknown> | undefined): Partial<ReplayedHold> => ({
    ...(typeof a?.state === 'string' ? { state: a.state } : {}),
    ...(typeof a?.units === 'number' ? { units: a.units } : {}),
    ...(a && 'dispositionId' in a ? { dispositionId: (a.dispositionId as string | null) ?? null } : {}),
  });
  const window = (a: Record<string, unknown> | undefined): Partial<ReplayedHold> => ({
    units: num(a?.units),
    from: num(a?.from),
    to: numOrNull(a?.to),
  });
  for (const e of audit) {
    const after = entryJson(e.after_json);
    if (e.action.startsWith('disposition.') && after && typeof after.dispositionId === 'string') {
      // dispositions.ts: a lot's decision sets its holds under the excursion, covering the units they held.
      const before = entryJson(e.before_json);
      const held = Array.isArray(before?.quantityHolds)
        ? (before.quantityHolds as Array<{ locationId?: unknown; units?: unknown }>)
        : [];
      if (typeof after.lotId !== 'string') continue;
      for (const h of held) {
        if (typeof h.locationId !== 'string') continue;
        set(holdEntityId({ lotId: after.lotId, locationId: h.locationId, excursionId: e.entity_id }), e, {
          state: String(after.state),
          dispositionId: after.dispositionId,
          decidedUnits: num(h.units),
          decidedVersion: numOrNull(after.excursionVersion),
          held: false,
        });
      }
      continue;
    }
    if (e.entity_type !== 'quantity_hold') continue;
    const [lotId = '', locationId = ''] = e.entity_id.split('|');
    switch (e.action) {
      case 'quantity_hold.created':
        holds.set(e.entity_id, {
          ...unknown,
          ...window(after),
          state: 'active',
          decidedUnits: null,
          decidedVersion: null,
          held: false,
          seq: e.seq,
          action: e.action,
        });
        break;
      case 'quantity_hold.reinstated':
        set(e.entity_id, e, { ...window(after), state: 'active', held: false });
        break;
      case 'quantity_hold.changed':
        // A signed state stays as signed; only the quantity and window follow the data.
        set(e.entity_id, e, window(after));
        break;
      case 'quantity_hold.held':
        set(e.entity_id, e, { held: true, holdReason: e.reason });
        break;
      case 'quantity_hold.lifted':
        set(e.entity_id, e, { state: 'lifted', held: false });
        break;
      case 'quantity_hold.moved': {
        const was = holds.get(e.entity_id);
        holds.delete(e.entity_id);
        const into = holdEntityId({ lotId, locationId, excursionId: String(after?.excursionId) });
        set(into, e, brief(after), was ?? { ...unknown, seq: 0, action: '' });
        break;
      }
      case 'quantity_hold.merged': {
        const before = entryJson(e.before_json);
        const merged = holds.get(e.entity_id);
        holds.delete(e.entity_id);
        const into = holdEntityId({ lotId, locationId, excursionId: String(after?.excursionId) });
        const m = before?.merged as Record<string, unknown> | undefined;
        const o = before?.into as Record<string, unknown> | undefined;
        // The merged row's state replaces the other's only when stronger; the entry names the survivor.
        const base = strength(m) > strength(o) ? merged : holds.get(into);
        set(into, e, brief(after), base ?? { ...unknown, seq: 0, action: '' });
        break;
      }
    }
  }
  return holds;
}

const decided = (decision: unknown) => (decision === 'release' ? 'released' : 'rejected');

/**
 * Quantity holds against the trail (docs/barcode.md "Quantity custody"): a row the trail does not account
 * for (inserted directly), a hold the trail has but the table lacks (deleted), and a state, quantity,
 * window, signed decision (disposition, units and version it covered) or hold other than the trail's last
 * word (e.g. a rejected hold set to released, its units lowered). A decided hold is also compared with the
 * disposition that decided it: stored, its decision the hold's state, and its signed manifest holding the
 * lot at the hold's location with the units the hold says were decided (21 CFR 11.70).
 */
export const holdCheck: DeepCheck = {
  name: 'quantity holds',
  covers:
    'quantity holds replayed from quantity_hold.* and disposition.* entries, and their signed manifests',
  run({ audit, holds, dispositions }) {
    const out: DeepFinding[] = [];
    const replayed = replayHolds(audit);
    const f = (row: string, seq: number | null, detail: string) =>
      out.push({ check: 'quantity holds', table: 'quantity_holds', row, auditSeq: seq, detail });
    const byId = new Map(dispositions.map((d) => [d.id, d]));
    const seen = new Set<string>();
    for (const r of holds) {
      const key = holdEntityId({ lotId: r.lot_id, locationId: r.location_id, excursionId: r.excursion_id });
      seen.add(key);
      const x = replayed.get(key);
      if (!x) {
        f(
          key,
          null,
          `state ${r.state}, ${r.units} unit(s): no audit entry records this hold (written outside the audited path)`,
        );
        continue;
      }
      const at = `audit entry ${x.seq} (${x.action})`;
      if (r.state !== x.state) f(key, x.seq, `state ${r.state}, but ${at} left it ${x.state}`);
      const fields: Array<[string, unknown, unknown]> = [
        ['units', r.units, x.units],
        ['exposed_from', r.exposed_from, x.from],
        ['exposed_to', r.exposed_to, x.to],
        ['disposition_id', r.disposition_id, x.dispositionId],
        ['decided_units', r.decided_units, x.decidedUnits],
        ['decided_version', r.decided_version, x.decidedVersion],
      ];
      for (const [col, have, want] of fields)
        if (want !== undefined && !sameValue(have, want))
          f(key, x.seq, `${col} ${show(have)}, but ${at} recorded ${show(want)}`);
      if (x.held !== null && isHeldHold(r) !== x.held)
        f(
          key,
          x.seq,
          `${isHeldHold(r) ? 'held' : 'not held'}, but ${at} left it ${x.held ? 'held' : 'not held'}`,
        );
      else if (x.held && x.holdReason !== undefined && r.hold_reason !== x.holdReason)
        f(key, x.seq, `hold_reason ${show(r.hold_reason)}, but ${at} recorded ${show(x.holdReason)}`);
      if (r.disposition_id === null) continue;
      const d = byId.get(r.disposition_id);
      if (!d) {
        f(key, x.seq, `state ${r.state}: decided by disposition ${r.disposition_id}, which is not stored`);
        continue;
      }
      let m: Record<string, unknown> | undefined;
      try {
        m = d.manifest_json === null ? undefined : (JSON.parse(d.manifest_json) as Record<string, unknown>);
      } catch {
        m = undefined; // the manifests check reports a manifest that is not JSON
      }
      const decision = m?.decision ?? d.decision;
      if (r.state !== decided(decision))
        f(key, x.seq, `state ${r.state}, but disposition ${d.id} signed ${String(decision)}`);
      const scope = m?.scope as { lotId?: unknown; held?: Array<{ locationId?: unknown; units?: unknown }> };
      if (!scope) continue;
      const here = (scope.held ?? []).find((h) => h.locationId === r.location_id);
      if (scope.lotId !== r.lot_id || !here)
        f(
          key,
          x.seq,
          `decided by disposition ${d.id}, whose signed manifest (${d.manifest_hash}) does not hold lot ${r.lot_id} at ${r.location_id}`,
        );
      else if (!sameValue(here.units, r.decided_units))
        f(
          key,
          x.seq,
          `decided_units ${show(r.decided_units)}, but disposition ${d.id} signed ${show(here.units)} unit(s) (manifest ${d.manifest_hash})`,
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
