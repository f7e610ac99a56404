import type { Kysely, Transaction } from 'kysely';
import type { DispositionRepo } from '../domain/dispositions.js';
import { contentOfRow } from '../domain/excursion-content.js';
import { subjectKey } from '../domain/locks/lock-subject.js';
import { assessLot } from '../domain/lot-assessment.js';
import { guardedLotOf } from '../domain/release-guard.js';
import type { ReviewedReading } from '../domain/signature-manifest.js';
import { lotsOfUnits } from './lock-writes.js';
import { lotReads } from './lot-reads.js';
import type { DomainDatabase } from './schema.js';

/** Rows per IN list (SQLite bound-parameter limit). */
const CHUNK = 500;

/** `DispositionRepo` inside the signing's derive transaction. */
export function dispositionRepo(trx: Transaction<DomainDatabase>): DispositionRepo {
  return {
    async subject(id) {
      const x = await trx
        .selectFrom('excursions')
        .select(['id', 'version', 'review_state'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (x) return { ...x, kind: 'excursion', key: x.id };
      // A lock rule's key (a cumulative rule of a lot, a rate alarm): decided per key, as an excursion is.
      const named = subjectKey(id);
      if (!named) return undefined;
      const lock = await trx
        .selectFrom('locks')
        .select('epc')
        .where('cause', '=', named.cause)
        .where('rule_key', '=', named.key)
        .limit(1)
        .executeTakeFirst();
      return lock
        ? { id, version: 1, review_state: 'pending', kind: named.cause, key: named.key }
        : undefined;
    },
    async lotExists(lotId) {
      return (
        (await trx.selectFrom('lots').select('id').where('id', '=', lotId).executeTakeFirst()) !== undefined
      );
    },
    async unitsOfLot(lotId) {
      return (await trx.selectFrom('epcs').select('epc').where('lot_id', '=', lotId).execute()).map(
        (r) => r.epc,
      );
    },
    async decidableLocks(x, epcs) {
      const out = [];
      for (let i = 0; i < epcs.length; i += CHUNK) {
        const rows = await trx
          .selectFrom('locks')
          .leftJoin('dispositions', 'dispositions.id', 'locks.disposition_id')
          .select([
            'locks.epc as epc',
            'locks.state as state',
            'dispositions.excursion_version as decided_version',
          ])
          .where('locks.cause', '=', x.kind)
          .where('locks.rule_key', '=', x.key)
          .where('locks.state', '!=', 'lifted')
          .where('locks.epc', 'in', epcs.slice(i, i + CHUNK))
          .execute();
        out.push(...rows.map((r) => ({ ...r, decided_version: r.decided_version ?? null })));
      }
      return out;
    },
    async insertDisposition(d) {
      await trx.insertInto('dispositions').values(d).execute();
    },
    async decideLocks(x, epcs, set) {
      for (let i = 0; i < epcs.length; i += CHUNK) {
        await trx
          .updateTable('locks')
          .set(set)
          .where('cause', '=', x.kind)
          .where('rule_key', '=', x.key)
          .where('state', '!=', 'lifted')
          .where('epc', 'in', epcs.slice(i, i + CHUNK))
          .execute();
      }
    },
    async anyActiveLock(x) {
      const r = await trx
        .selectFrom('locks')
        .select('epc')
        .where('cause', '=', x.kind)
        .where('rule_key', '=', x.key)
        .where('state', '=', 'active')
        .limit(1)
        .executeTakeFirst();
      return r !== undefined;
    },
    decidableHolds: (excursionId, lotId) =>
      trx
        .selectFrom('quantity_holds')
        .selectAll()
        .where('excursion_id', '=', excursionId)
        .where('lot_id', '=', lotId)
        .where('state', '!=', 'lifted')
        .orderBy('location_id')
        .execute(),
    async decideHolds(excursionId, lotId, locationIds, set) {
      if (locationIds.length === 0) return;
      await trx
        .updateTable('quantity_holds')
        .set((eb) => ({ ...set, decided_units: eb.ref('units') }))
        .where('excursion_id', '=', excursionId)
        .where('lot_id', '=', lotId)
        .where('location_id', 'in', [...locationIds])
        .where('state', '!=', 'lifted')
        .execute();
    },
    async anyUndecidedHold(excursionId) {
      const r = await trx
        .selectFrom('quantity_holds')
        .select('lot_id')
        .where('excursion_id', '=', excursionId)
        .where((eb) =>
          eb.or([
            eb('state', '=', 'active'),
            eb.and([eb('state', '!=', 'lifted'), eb('units', '>', eb.ref('decided_units'))]),
          ]),
        )
        .limit(1)
        .executeTakeFirst();
      return r !== undefined;
    },
    async markDecided(excursionId) {
      await trx
        .updateTable('excursions')
        .set({ review_state: 'decided' })
        .where('id', '=', excursionId)
        .execute();
    },
    lotsOf: lotsOfUnits(trx),
    async releaseGuard(units, held = []) {
      const lots = new Set([...(await lotsOfUnits(trx)(units)).values(), ...held]);
      const out = [];
      for (const lotId of [...lots].sort()) {
        const a = await assessLot(lotReads(trx), lotId);
        if (a) out.push(guardedLotOf(a));
      }
      return out;
    },
    async reviewed(x) {
      if (x.kind !== 'excursion') return { content: null, readings: [] };
      const row = await trx.selectFrom('excursions').selectAll().where('id', '=', x.id).executeTakeFirst();
      if (!row) return { content: null, readings: [] };
      return { content: contentOfRow(row), readings: await excursionReadings(trx, row) };
    },
  };
}

/**
 * The readings an excursion's reviewer sees: every reading at its location within its window (to its last
 * reading while it is ongoing), by sensor and time. Also what `audit verify --deep` recomputes.
 */
export async function excursionReadings(
  db: Kysely<DomainDatabase>,
  x: { location_id: string; start_ts: number; end_ts: number | null; last_ts: number },
): Promise<ReviewedReading[]> {
  const rows = await db
    .selectFrom('readings')
    .select(['sensor_id', 'ts', 'temp_c'])
    .where('location_id', '=', x.location_id)
    .where('ts', '>=', x.start_ts)
    .where('ts', '<=', x.end_ts ?? x.last_ts)
    .orderBy('sensor_id')
    .orderBy('ts')
    .execute();
  return rows.map((r) => ({ sensorId: r.sensor_id, ts: Number(r.ts), tempC: r.temp_c }));
}
