import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import {
  checkLocationSensorsProperty,
  recomputedLocationSensors,
  storedLocationSensors,
} from './location-sensors-suite.js';
import { ingestDigestScenario } from './reading-digests-suite.js';

// docs/architecture.md "Lot assessment cache": `location_sensors` kept by ingest on SQLite, with the
// synchronous backend the cloud runs and the Kysely backend (PostgreSQL's code path, its SQLite branch).
for (const ingest of ['sqlite', 'kysely'] as const) {
  describe(`location sensors on SQLite, ${ingest} backend`, () => {
    let dir: string;
    let store: CloudStore;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'coldtrace-location-sensors-'));
      store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`), { ingest });
    });
    afterAll(async () => {
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('equal a recomputation from the raw readings however deliveries are ordered, batched and repeated', async () => {
      await checkLocationSensorsProperty([store], 60);
    });

    it('cover a reused number stored in a fork, and nothing of a replay', async () => {
      await ingestDigestScenario(store);
      const locations = ['room-1', 'room-2'];
      expect(await storedLocationSensors(store.db, locations)).toEqual(
        await recomputedLocationSensors(store.db, locations),
      );
    });
  });
}
