import type { Transaction } from 'kysely';
import type { AuditInput } from '../domain/audit-chain.js';
import type { ChangeLog } from '../domain/exposure.js';
import type { RuleAlarm, RuleRepo, Stay } from '../domain/locks/lock-rule.js';
import type { LockCause, LockPlan, StoredLock } from '../domain/locks/reconcile-locks.js';
import { deletedUntil } from './evaluation-horizon-reads.js';
import { sensorSpanAt } from './location-sensors.js';
import { applyLockPlan, storedLocks } from './lock-writes.js';
import { lotReads } from './lot-reads.js';
import { nearestReading } from './queries/nearest-reading.js';
import type { DomainDatabase } from './schema.js';

type Trx = Transaction<DomainDatabase>;

const CHUNK = 200;

/** `RuleRepo` inside one derive transaction: what lock rules read and write, as plain data. */
export function ruleRepo(trx: Trx, log: ChangeLog, now: number): RuleRepo {
  const stay = (r: {
    epc: string;
    location_id: string;
    entered_at: number;
    left_at: number | null;
  }): Stay => ({
    epc: r.epc,
    locationId: r.location_id,
    enteredAt: Number(r.entered_at),
    leftAt: r.left_at === null ? null : Number(r.left_at),
  });
  return {
    exposure: lotReads(trx),
    async ruledUnitsAt(locationId, window) {
      const finite = Number.isFinite;
      const spans: Array<{ lo: number; hi: number }> = [];
      if (!finite(window.fromTs) || !finite(window.toTs)) {
        spans.push({ lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY });
      } else {
        // A reading changes its sensor's state from its last known reading before it to its next after it.
        const sensors = await trx
          .selectFrom('readings')
          .select('sensor_id')
          .distinct()
          .where('location_id', '=', locationId)
          .where('ts', '>=', window.fromTs)
          .where('ts', '<=', window.toTs)
          .execute();
        for (const { sensor_id } of sensors) {
          const known = (op: '<' | '>', ts: number) =>
            nearestReading(
              trx
                .selectFrom('readings')
                .select('ts')
                .where('sensor_id', '=', sensor_id)
                .where('location_id', '=', locationId)
                .where('temp_c', 'is not', null),
              op,
              ts,
              () => sensorSpanAt(trx, locationId, sensor_id),
            );
          spans.push({
            lo: (await known('<', window.fromTs))?.ts ?? Number.NEGATIVE_INFINITY,
            hi: (await known('>', window.toTs))?.ts ?? Number.POSITIVE_INFINITY,
          });
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
        if (finite(hi)) q = q.where('custody.entered_at', '<', hi);
        if (finite(lo))
          q = q.where((eb) => eb.or([eb('custody.left_at', 'is', null), eb('custody.left_at', '>', lo)]));
        for (const r of await q.execute()) out.add(r.epc);
      }
      return [...out];
    },
    async unitsOfProduct(gtin) {
      const rows = await trx
        .selectFrom('epcs')
        .innerJoin('lots', 'lots.id', 'epcs.lot_id')
        .select('epcs.epc as epc')
        .where('lots.gtin', '=', gtin)
        .execute();
      return rows.map((r) => r.epc);
    },
    async cumulativeInUse() {
      const rules = await trx
        .selectFrom('products')
        .select('gtin')
        .where('cumulative_rules', '!=', '[]')
        .limit(1)
        .executeTakeFirst();
      if (rules) return true;
      const locks = await trx
        .selectFrom('locks')
        .select('epc')
        .where('cause', '=', 'cumulative')
        .limit(1)
        .executeTakeFirst();
      return locks !== undefined;
    },
    deletedUntil: (locationId) => deletedUntil(trx, locationId),
    async readings(locationId) {
      const rows = await trx
        .selectFrom('readings')
        .select(['sensor_id', 'ts', 'temp_c'])
        .where('location_id', '=', locationId)
        .orderBy('ts')
        .execute();
      return rows.map((r) => ({ sensorId: r.sensor_id, ts: Number(r.ts), tempC: r.temp_c }));
    },
    async alarms(rule, scope) {
      let q = trx.selectFrom('rule_alarms').selectAll().where('rule', '=', rule);
      if ('locationId' in scope) q = q.where('location_id', '=', scope.locationId);
      else if (scope.ids.length === 0) return [];
      else q = q.where('id', 'in', [...scope.ids]);
      const rows = await q.orderBy('from_ts').execute();
      return rows.map(
        (r): RuleAlarm => ({
          id: r.id,
          rule: r.rule as LockCause,
          locationId: r.location_id,
          fromTs: Number(r.from_ts),
          toTs: Number(r.to_ts),
          detail: JSON.parse(r.detail_json) as Record<string, unknown>,
        }),
      );
    },
    async writeAlarms({ put, remove }) {
      const ids = [...new Set([...remove, ...put.map((a) => a.id)])];
      const created = new Map<string, number>();
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        for (const r of await trx
          .selectFrom('rule_alarms')
          .select(['id', 'created_at'])
          .where('id', 'in', chunk)
          .execute())
          created.set(r.id, Number(r.created_at));
        await trx.deleteFrom('rule_alarms').where('id', 'in', chunk).execute();
      }
      const rows = put.map((a) => ({
        id: a.id,
        rule: a.rule,
        location_id: a.locationId,
        from_ts: a.fromTs,
        to_ts: a.toTs,
        detail_json: JSON.stringify(a.detail),
        created_at: created.get(a.id) ?? now,
        updated_at: now,
      }));
      for (let i = 0; i < rows.length; i += CHUNK)
        await trx
          .insertInto('rule_alarms')
          .values(rows.slice(i, i + CHUNK))
          .execute();
    },
    async staysAt(locationId, from, to) {
      const rows = await trx
        .selectFrom('custody')
        .select(['epc', 'location_id', 'entered_at', 'left_at'])
        .where('location_id', '=', locationId)
        .where('entered_at', '<=', to)
        .where((eb) => eb.or([eb('left_at', 'is', null), eb('left_at', '>', from)]))
        .execute();
      return rows.map(stay);
    },
    async staysOf(epcs) {
      const out: Stay[] = [];
      const sorted = [...new Set(epcs)].sort();
      for (let i = 0; i < sorted.length; i += CHUNK) {
        const rows = await trx
          .selectFrom('custody')
          .select(['epc', 'location_id', 'entered_at', 'left_at'])
          .where('epc', 'in', sorted.slice(i, i + CHUNK))
          .execute();
        out.push(...rows.map(stay));
      }
      return out;
    },
    locks(cause, scope): Promise<StoredLock[]> {
      return storedLocks(trx, cause, scope);
    },
    applyLockPlan(cause, plan: LockPlan) {
      return applyLockPlan(trx, cause, plan, log, now);
    },
    audit(entries: readonly AuditInput[]) {
      log.audit.push(...entries);
    },
  };
}
