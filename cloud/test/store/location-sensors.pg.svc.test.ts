import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import {
  checkLocationSensorsProperty,
  recomputedLocationSensors,
  storedLocationSensors,
} from './location-sensors-suite.js';
import { type FreshPostgres, freshPostgresUrl } from './pg-fresh.js';
import { ingestDigestScenario } from './reading-digests-suite.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// docs/architecture.md "Lot assessment cache" on PostgreSQL: two ingestors (two stores) on one database
// take the batches in turn, so the batch upserts of the same (location, sensor) rows run concurrently.
describe('location sensors on PostgreSQL', () => {
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
    await checkLocationSensorsProperty(stores, 40);
  });

  it('cover a reused number stored in a fork, and nothing of a replay', async () => {
    await ingestDigestScenario(stores[0]!);
    const locations = ['room-1', 'room-2'];
    expect(await storedLocationSensors(stores[0]!.db, locations)).toEqual(
      await recomputedLocationSensors(stores[0]!.db, locations),
    );
  });
});
