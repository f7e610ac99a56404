import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';

/** Rows for list tests, written straight to the store (the lists read them; no engine involved). */
export const listRows = (db: Kysely<Database>) => ({
  lot: (id: string, gtin: string, units: number) =>
    db
      .insertInto('lots')
      .values({ id, gtin, lot_number: `N${id}`, expiry: '2030-01-01', created_at: 0, updated_at: 0 })
      .execute()
      .then(async () => {
        for (let u = 1; u <= units; u++)
          await db
            .insertInto('epcs')
            .values({ epc: `${id}-E${u}`, lot_id: id, commissioned_at: 0 })
            .execute();
      }),
  excursion: (id: string, loc: string, start: number, end: number | null, o: Record<string, unknown> = {}) =>
    db
      .insertInto('excursions')
      .values({
        id,
        location_id: loc,
        start_ts: start,
        end_ts: end,
        last_ts: end ?? start,
        excursion_at: null,
        duration_ms: 0,
        min_c: 9,
        max_c: 9,
        peak_c: 9,
        critical: 0,
        degree_minutes: 0,
        mkt_c: null,
        sensor_ids: 's',
        state: end === null ? 'ongoing' : 'closed',
        updated_at: 0,
        ...o,
      })
      .execute(),
  lock: (epc: string, key: string, state: string, cause = 'excursion', createdAt = 10) =>
    db
      .insertInto('locks')
      .values({
        epc,
        cause,
        rule_key: key,
        excursion_id: cause === 'excursion' ? key : null,
        location_id: 'room',
        exposed_from: 0,
        exposed_to: null,
        state,
        reason: 'r',
        disposition_id: null,
        created_at: createdAt,
        updated_at: createdAt,
      })
      .execute(),
});
