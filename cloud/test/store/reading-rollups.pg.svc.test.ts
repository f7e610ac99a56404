import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import {
  checkLocationSensorsProperty,
  recomputedLocationSensors,
  storedLocationSensors,
} from './location-sensors-suite.js';
import { type FreshPostgres, freshPostgresUrl } from './pg-fresh.js';
import { DIGEST_LOCATIONS, ingestDigestScenario } from './reading-digests-suite.js';
import {
  checkRollupProperty,
  expectSameRollups,
  recomputedRollups,
  storedRollups,
} from './reading-rollups-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// docs/architecture.md "Reading rollups" and the sensor spans of "Lot assessment cache" on PostgreSQL: two
// ingestors (two stores, each with its group commits) on one database take the batches in turn, so
// upserts of the same buckets and spans run concurrently.
describe('reading rollups and sensor spans on PostgreSQL', () => {
  let pg: FreshPostgres;
  let stores: CloudStore[] = [];
  beforeAll(async () => {
    pg = await freshPostgresUrl();
    stores = [new CloudStore(await openDatabase(pg.url))];
    stores.push(new CloudStore(await openDatabase(pg.url)));
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await pg?.drop();
  });

  it('equal a recomputation from the raw readings however deliveries are ordered, batched and repeated', async () => {
    await checkRollupProperty(stores, 40);
  });

  it('sensor spans equal a recomputation from the raw readings however deliveries are ordered, batched and repeated', async () => {
    await checkLocationSensorsProperty(stores, 40);
  });

  it('count a reused number stored in a fork, and nothing of a replay or a reading without value', async () => {
    await ingestDigestScenario(stores[0]!);
    expect(await storedLocationSensors(stores[0]!.db, DIGEST_LOCATIONS)).toEqual(
      await recomputedLocationSensors(stores[0]!.db, DIGEST_LOCATIONS),
    );
    const gateways = ['gw-a', 'gw-b'];
    const stored = await storedRollups(stores[0]!.db, gateways);
    expect(stored.filter((r) => r.resolution === '1h').reduce((n, r) => n + r.count, 0)).toBe(
      15 + 11 + 3 + 4,
    );
    expectSameRollups(stored, await recomputedRollups(stores[0]!.db, gateways));
  });
});
