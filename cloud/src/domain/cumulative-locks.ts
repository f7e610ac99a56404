import type { Transaction } from 'kysely';
import type { DomainDatabase } from '../store/schema.js';
import type { UnitRuleExposure } from './cumulative-exposure.js';
import { CUMULATIVE_CAUSE, type CumulativeRule, describeMs, describeRule } from './cumulative-rules.js';
import type { LockEventPayload } from './domain-events.js';
import type { ChangeLog } from './exposure.js';
import { holdLock, liftLock } from './lift-lock.js';

const iso = (ts: number) => new Date(ts).toISOString();

function reachedReason(x: UnitRuleExposure): string {
  const e = x.exposure;
  return `cumulative rule ${describeRule(x.rule)} of lot ${x.lotId} reached: limit reached at ${iso(e.reachedAt!)} at ${e.reachedLocationId}; ${describeMs(e.exposedMs)} ${x.rule.kind} ${x.rule.thresholdC} °C in total`;
}

/**
 * Brings the cumulative-rule locks (`cause = 'cumulative'`) of the given units in line with their
 * computed exposures (`computed` holds every rule of every one of these units): a unit whose exposure
 * reached a rule's limit is locked pending QA under the key `cumulative:<lot>:<rule>` (or a lifted lock is
 * reinstated); a lock whose rule late data shows not reached is lifted only if it is active, not held and
 * no QA decision touched it, as for excursions; released and rejected locks stay as signed. A lock whose
 * rule no longer applies (the product's rules changed: the key names the lot and the rule) follows a
 * master-data change, which never lifts a lock: it is held pending QA (docs/architecture.md "Affected stock
 * and locks"). Every change is audited and sent as a lock/unlock event with `cause: 'cumulative'`, in the
 * caller's derive transaction.
 */
export async function applyCumulativeLocks(
  trx: Transaction<DomainDatabase>,
  epcs: readonly string[],
  computed: readonly UnitRuleExposure[],
  log: ChangeLog,
  now: number,
): Promise<void> {
  const existing = new Map<string, Awaited<ReturnType<typeof selectRows>>[number]>();
  const selectRows = (chunk: string[]) =>
    trx
      .selectFrom('locks')
      .selectAll()
      .where('cause', '=', CUMULATIVE_CAUSE)
      .where('epc', 'in', chunk)
      .execute();
  const sorted = [...new Set(epcs)].sort();
  for (let i = 0; i < sorted.length; i += 500)
    for (const r of await selectRows(sorted.slice(i, i + 500))) existing.set(`${r.epc}|${r.excursion_id}`, r);
  const byKey = new Map(computed.map((x) => [`${x.epc}|${x.key}`, x]));
  const events = new Map<string, LockEventPayload>();
  const event = (
    type: 'lock' | 'unlock',
    x: { key: string; rule: CumulativeRule; lotId: string | null },
    location: string,
    epc: string,
    reason: string,
  ) => {
    const k = `${type}|${x.key}`;
    let e = events.get(k);
    if (!e) {
      e = {
        type,
        excursionId: x.key,
        locationId: location,
        reason,
        units: [],
        at: now,
        cause: 'cumulative',
        rule: { kind: x.rule.kind, thresholdC: x.rule.thresholdC, limitMs: x.rule.limitMs },
      };
      events.set(k, e);
    }
    e.units.push({ epc, lotId: x.lotId });
  };

  for (const x of computed) {
    if (!x.exposure.exceeded) continue;
    const id = `${x.epc}|${x.key}`;
    const row = existing.get(id);
    const reason = reachedReason(x);
    const from = x.exposure.reachedAt!;
    const location = x.exposure.reachedLocationId!;
    const facts = {
      epc: x.epc,
      lockKey: x.key,
      cause: CUMULATIVE_CAUSE,
      exposedMs: x.exposure.exposedMs,
      limitMs: x.rule.limitMs,
      reachedAt: from,
      location,
    };
    if (!row) {
      await trx
        .insertInto('locks')
        .values({
          epc: x.epc,
          excursion_id: x.key,
          location_id: location,
          exposed_from: from,
          exposed_to: null,
          state: 'active',
          reason,
          disposition_id: null,
          cause: CUMULATIVE_CAUSE,
          created_at: now,
          updated_at: now,
        })
        .execute();
      log.audit.push({
        actor: 'system',
        action: 'lock.created',
        entityType: 'lock',
        entityId: id,
        after: { ...facts, state: 'active' },
        reason,
      });
      event('lock', x, location, x.epc, `cumulative rule ${describeRule(x.rule)} reached`);
      continue;
    }
    if (row.state === 'lifted') {
      await trx
        .updateTable('locks')
        .set({ state: 'active', reason, exposed_from: from, location_id: location, updated_at: now })
        .where('epc', '=', x.epc)
        .where('excursion_id', '=', x.key)
        .execute();
      log.audit.push({
        actor: 'system',
        action: 'lock.reinstated',
        entityType: 'lock',
        entityId: id,
        before: { state: 'lifted' },
        after: { ...facts, state: 'active' },
        reason,
      });
      event('lock', x, location, x.epc, `cumulative rule ${describeRule(x.rule)} reached`);
    } else if (row.exposed_from !== from || row.location_id !== location) {
      // Late data moved the instant the limit was reached: recorded; a signed decision stands.
      await trx
        .updateTable('locks')
        .set({
          exposed_from: from,
          location_id: location,
          updated_at: now,
          ...(row.state === 'active' ? { reason } : {}),
        })
        .where('epc', '=', x.epc)
        .where('excursion_id', '=', x.key)
        .execute();
      log.audit.push({
        actor: 'system',
        action: 'lock.window_changed',
        entityType: 'lock',
        entityId: id,
        before: { state: row.state, reachedAt: row.exposed_from, location: row.location_id },
        after: { state: row.state, reachedAt: from, location },
        reason: `late data: ${reason}`,
      });
    }
  }

  for (const [id, row] of existing) {
    const x = byKey.get(id);
    if (x?.exposure.exceeded) continue;
    if (row.state !== 'active' || row.disposition_id !== null || row.hold_reason !== null) continue;
    if (!x) {
      const why = `cumulative rule ${row.excursion_id} no longer applies to ${row.epc} (the product's rules changed)`;
      await holdLock(trx, log, row, id, why, now);
      continue;
    }
    const reason = `late data shows ${row.epc} spent ${describeMs(x.exposure.exposedMs)} ${x.rule.kind} ${x.rule.thresholdC} °C: cumulative rule ${describeRule(x.rule)} not reached`;
    await liftLock(
      trx,
      log,
      row,
      {
        entityId: id,
        before: { state: 'active', cause: CUMULATIVE_CAUSE, reachedAt: row.exposed_from },
        after: { state: 'lifted', exposedMs: x.exposure.exposedMs },
        reason,
      },
      now,
    );
    event(
      'unlock',
      { key: row.excursion_id, rule: x.rule, lotId: x.lotId },
      row.location_id,
      row.epc,
      reason,
    );
  }
  log.extraEvents.push(
    ...[...events.values()].sort((a, b) => (a.type + a.excursionId < b.type + b.excursionId ? -1 : 1)),
  );
}
