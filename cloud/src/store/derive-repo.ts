import type { ExpressionBuilder, Transaction } from 'kysely';
import type { CustodyInterval, CustodyMovement } from '../domain/custody.js';
import type { DeriveRepo } from '../domain/derive-repo.js';
import type { ChangeLog } from '../domain/exposure.js';
import { claimMarks, deleteMarks, marksDb } from './evaluation-marks.js';
import { onPostgres, pgAnyOf, pgUnnestRows } from './pg-arrays.js';
import { quantityHoldRepo } from './quantity-hold-repo.js';
import { ruleRepo } from './rule-repo.js';
import type { DomainDatabase } from './schema.js';
import { specsInForce } from './spec-version-repo.js';
import { windowReads } from './window-reads.js';

type Trx = Transaction<DomainDatabase>;

/** Rows per INSERT statement (SQLite bound-parameter limit). */
const CHUNK = 200;
/**
 * Units (and their custody rows) per statement of a custody rebuild: a start's recovery rebuilds up to
 * 1,000 units per derive transaction (engine/subject-rebuilds.ts), each read or write one statement, not
 * five (a custody row is 6 parameters: 6,000 per insert, under SQLite's 32,766 and PostgreSQL's 65,535).
 */
const UNITS = 1000;
/** Custody columns with their PostgreSQL types (migration 0002), for the rows sent as arrays. */
const CUSTODY_COLUMNS = [
  ['epc', 'text'],
  ['location_id', 'text'],
  ['entered_at', 'bigint'],
  ['left_at', 'bigint'],
  ['gateway_id', 'text'],
  ['seq', 'bigint'],
] as const;
const finite = (n: number) => Number.isFinite(n);
const groupInto = <T>(map: Map<string, T[]>, key: string, item: T) => {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
};

/** `DeriveRepo` inside one derive transaction. */
export function deriveRepo(trx: Trx, log: ChangeLog, now: number): DeriveRepo {
  // PostgreSQL: a list of units is one array parameter, custody rows one array per column (pg-arrays.ts).
  const pg = onPostgres(trx);
  const unitLists = (epcs: readonly string[]) => {
    if (pg) return epcs.length ? [epcs] : [];
    const out: (readonly string[])[] = [];
    for (let i = 0; i < epcs.length; i += UNITS) out.push(epcs.slice(i, i + UNITS));
    return out;
  };
  const epcIn = (epcs: readonly string[]) =>
    pg
      ? pgAnyOf('epc', 'text', epcs)
      : (eb: ExpressionBuilder<DomainDatabase, 'custody' | 'movements'>) => eb('epc', 'in', epcs);
  const gapRows = (locationId: string, sensorId: string, loTs: number, hiTs: number) => {
    let q = trx
      .selectFrom('monitoring_gaps')
      .where('location_id', '=', locationId)
      .where('sensor_id', '=', sensorId);
    if (finite(loTs)) q = q.where('from_ts', '>=', loTs);
    if (finite(hiTs)) q = q.where('from_ts', '<', hiTs);
    return q;
  };
  // Lock rows by excursion (the merges of excursions move them): cause 'excursion', key = its id.
  const excursionLocks = () => trx.selectFrom('locks').selectAll().where('cause', '=', 'excursion');
  const lockRow = (key: string, epc: string) =>
    excursionLocks().where('rule_key', '=', key).where('epc', '=', epc);
  return {
    log,
    now,
    ...ruleRepo(trx, log, now),
    ...windowReads(trx),
    quantityHolds: quantityHoldRepo(trx),
    claimMarks: (kind, subjects) => claimMarks(marksDb(trx), kind, subjects),
    deleteMarks: (ids) => deleteMarks(marksDb(trx), ids),
    location: (id) => trx.selectFrom('locations').selectAll().where('id', '=', id).executeTakeFirst(),
    limitVersions: (id) => specsInForce(trx, 'location', id),

    excursion: (id) => trx.selectFrom('excursions').selectAll().where('id', '=', id).executeTakeFirst(),
    async excursionIdTaken(id) {
      return (
        (await trx.selectFrom('excursions').select('id').where('id', '=', id).executeTakeFirst()) !==
        undefined
      );
    },
    async insertExcursion(row) {
      await trx.insertInto('excursions').values(row).execute();
    },
    async updateExcursion(id, set) {
      await trx.updateTable('excursions').set(set).where('id', '=', id).execute();
    },
    async deleteExcursion(id) {
      await trx.deleteFrom('excursions').where('id', '=', id).execute();
    },
    async reopenDecided(id) {
      const r = await trx
        .updateTable('excursions')
        .set({ review_state: 'pending' })
        .where('id', '=', id)
        .where('review_state', '=', 'decided')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async exposingExcursions(locationIds) {
      if (locationIds.length === 0) return [];
      return trx
        .selectFrom('excursions')
        .select(['id', 'location_id', 'start_ts', 'end_ts'])
        .where('location_id', 'in', [...locationIds])
        .where('state', '!=', 'withdrawn')
        .execute();
    },

    gaps: (locationId, sensorId, loTs, hiTs) =>
      gapRows(locationId, sensorId, loTs, hiTs).select(['from_ts', 'to_ts']).execute(),
    async deleteGaps(locationId, sensorId, loTs, hiTs) {
      let d = trx
        .deleteFrom('monitoring_gaps')
        .where('location_id', '=', locationId)
        .where('sensor_id', '=', sensorId);
      if (finite(loTs)) d = d.where('from_ts', '>=', loTs);
      if (finite(hiTs)) d = d.where('from_ts', '<', hiTs);
      await d.execute();
    },
    async insertGaps(rows) {
      for (let i = 0; i < rows.length; i += CHUNK) {
        await trx
          .insertInto('monitoring_gaps')
          .values(rows.slice(i, i + CHUNK))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    },

    locksOfKey: (key) => excursionLocks().where('rule_key', '=', key).execute(),
    lockAt: (key, epc) => lockRow(key, epc).executeTakeFirst(),
    async updateLockRow(key, epc, set) {
      // Moving a lock to another excursion moves its key with it.
      const moved = set.excursion_id ? { ...set, rule_key: set.excursion_id } : set;
      await trx
        .updateTable('locks')
        .set(moved)
        .where('cause', '=', 'excursion')
        .where('rule_key', '=', key)
        .where('epc', '=', epc)
        .execute();
    },
    async deleteLockRow(key, epc) {
      await trx
        .deleteFrom('locks')
        .where('cause', '=', 'excursion')
        .where('rule_key', '=', key)
        .where('epc', '=', epc)
        .execute();
    },

    async movementsOf(epcs) {
      const byEpc = new Map<string, CustodyMovement[]>();
      for (const part of unitLists(epcs)) {
        const rows = await trx
          .selectFrom('movements')
          .select(['epc', 'gateway_id', 'seq', 'kind', 'from_location', 'to_location', 'direction', 'ts'])
          .where(epcIn(part))
          .execute();
        for (const { epc, ...m } of rows) groupInto(byEpc, epc, m);
      }
      return byEpc;
    },
    async custodyOf(epcs) {
      const byEpc = new Map<string, CustodyInterval[]>();
      for (const part of unitLists(epcs)) {
        const rows = await trx
          .selectFrom('custody')
          .selectAll()
          .where(epcIn(part))
          .orderBy('epc')
          .orderBy('entered_at')
          .execute();
        for (const r of rows) groupInto(byEpc, r.epc, r);
      }
      return byEpc;
    },
    async replaceCustody(next) {
      for (const part of unitLists([...next.keys()]))
        await trx.deleteFrom('custody').where(epcIn(part)).execute();
      const rows = [...next.values()].flat();
      if (pg) {
        if (rows.length) await trx.executeQuery(pgUnnestRows('custody', CUSTODY_COLUMNS, rows));
        return;
      }
      for (let i = 0; i < rows.length; i += UNITS)
        await trx
          .insertInto('custody')
          .values(rows.slice(i, i + UNITS))
          .execute();
    },
    async custodyOverlapping(locationId, from, to) {
      let q = trx.selectFrom('custody').selectAll().where('location_id', '=', locationId);
      if (to !== null) q = q.where('entered_at', '<', to);
      q = q.where((eb) => eb.or([eb('left_at', 'is', null), eb('left_at', '>', from)]));
      return q.execute();
    },
  };
}
