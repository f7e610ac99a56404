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
import { DIGEST_LOCATIONS, ingestDigestScenario } from './reading-digests-suite.js';
import {
  checkRollupProperty,
  expectSameRollups,
  recomputedRollups,
  storedRollups,
} from './reading-rollups-suite.js';

// docs/architecture.md "Reading rollups" and the sensor spans of "Lot assessment cache" (`location_sensors`,
// kept by ingest the same way) on SQLite, with the synchronous backend the cloud runs and the Kysely
// backend (PostgreSQL's code path, its SQLite branch).
for (const ingest of ['sqlite', 'kysely'] as const) {
  describe(`reading rollups and sensor spans on SQLite, ${ingest} backend`, () => {
    let dir: string;
    let store: CloudStore;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'coldtrace-rollups-'));
      store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`), { ingest });
    });
    afterAll(async () => {
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('equal a recomputation from the raw readings however deliveries are ordered, batched and repeated', async () => {
      await checkRollupProperty([store], 60);
    });

    it('sensor spans equal a recomputation from the raw readings however deliveries are ordered, batched and repeated', async () => {
      await checkLocationSensorsProperty([store], 60);
    });

    it('count a reused number stored in a fork, and nothing of a replay or a reading without value', async () => {
      await ingestDigestScenario(store);
      expect(await storedLocationSensors(store.db, DIGEST_LOCATIONS)).toEqual(
        await recomputedLocationSensors(store.db, DIGEST_LOCATIONS),
      );
      const gateways = ['gw-a', 'gw-b'];
      const stored = await storedRollups(store.db, gateways);
      // Stored with a value: gw-a 1–14 and 16 (15 has none), 5–15 again with other values in a fork, 1–3
      // of epoch F; gw-b 4. The overlapping batch and the replay stored nothing.
      const readings = await store.db
        .selectFrom('readings')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('gateway_id', 'in', gateways)
        .where('temp_c', 'is not', null)
        .executeTakeFirstOrThrow();
      expect(Number(readings.n)).toBe(15 + 11 + 3 + 4);
      const counted = stored.filter((r) => r.resolution === '1h').reduce((n, r) => n + r.count, 0);
      expect(counted).toBe(Number(readings.n));
      expectSameRollups(stored, await recomputedRollups(store.db, gateways));
    });
  });
}
