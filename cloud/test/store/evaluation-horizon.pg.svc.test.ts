import { join } from 'node:path';
import { describe, it } from 'vitest';
import { RateOfChangeRule } from '../../src/domain/rules/rate-of-change-rule.js';
import { openHarness } from '../domain/harness.js';
import { horizonRoundTrip, RISE_PROFILE } from './evaluation-horizon-suite.js';
import { withFreshPg } from './pg-fresh.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// docs/domain.md "Evaluation horizon": the same run as on SQLite, the reference store on PostgreSQL too.

/** Whole histories in chunks of 50 readings: some end between the readings kept inside the deleted stretch. */
const CHUNK = 50;
const rules = [new RateOfChangeRule([RISE_PROFILE])];

describe('the evaluation horizon after deleting archived readings, on PostgreSQL', () => {
  const h = withFreshPg((url) => openHarness({ url, rules, chunkReadings: CHUNK }));
  const ref = withFreshPg((url) => openHarness({ url, rules, chunkReadings: CHUNK }));

  it('keeps decided results, refuses a correction before the horizon, applies one after it as a store that kept everything, restore lifts it', async () => {
    await horizonRoundTrip(h(), ref(), join(h().dir, 'archives'));
  });
});
