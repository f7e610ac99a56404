import type { Kysely, Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeExcursionId } from '../../src/domain/excursion-reconcile.js';
import { ChangeLog } from '../../src/domain/exposure.js';
import { deriveRepo } from '../../src/store/derive-repo.js';
import type { DomainDatabase } from '../../src/store/schema.js';
import { type Harness, openHarness, T0 } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => {
  await h?.close();
});

const row = (id: string) => ({
  id,
  location_id: 'room-1',
  start_ts: T0,
  end_ts: T0 + 1,
  last_ts: T0 + 1,
  excursion_at: T0,
  duration_ms: 1,
  min_c: 9,
  max_c: 9,
  peak_c: 9,
  critical: 0,
  degree_minutes: 0,
  mkt_c: null,
  sensor_ids: '[]',
  state: 'ended',
  updated_at: T0,
  created_at: T0,
  review_state: 'pending',
  version: 1,
  out_of_range_ms: 1,
});

describe('freeExcursionId', () => {
  it('gives the natural id, then #now, then #now.2 …: never one a stored excursion holds', async () => {
    const db = h.store.db as unknown as Kysely<DomainDatabase>;
    const natural = `room-1@${new Date(T0).toISOString()}`;
    const pick = () =>
      db
        .transaction()
        .execute((trx: Transaction<DomainDatabase>) =>
          freeExcursionId(deriveRepo(trx, new ChangeLog(), 42), natural, 42),
        );
    expect(await pick()).toBe(natural);
    await db.insertInto('excursions').values(row(natural)).execute();
    expect(await pick()).toBe(`${natural}#42`);
    // Another derive at the same clock reading (same ms, or a test's fixed clock; another ingestor on
    // PostgreSQL) already took `#42`: the next one is free, not a duplicate key that aborts the derive.
    await db
      .insertInto('excursions')
      .values(row(`${natural}#42`))
      .execute();
    expect(await pick()).toBe(`${natural}#42.2`);
    await db
      .insertInto('excursions')
      .values(row(`${natural}#42.2`))
      .execute();
    expect(await pick()).toBe(`${natural}#42.3`);
  });
});
