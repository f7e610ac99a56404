import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { RateOfChangeRule } from '../../src/domain/rules/rate-of-change-rule.js';
import { type Harness, MIN, openHarness } from '../domain/harness.js';
import { correctionAsReference, horizonRoundTrip, RISE_PROFILE } from './evaluation-horizon-suite.js';

// docs/domain.md "Evaluation horizon" on SQLite (PostgreSQL: evaluation-horizon.pg.svc.test.ts).

const DAY = 24 * 60 * MIN;
/** Whole histories in chunks of 50 readings: some end between the readings kept inside the deleted stretch. */
const CHUNK = 50;
const rules = [new RateOfChangeRule([RISE_PROFILE])];

describe('the evaluation horizon after deleting archived readings, on SQLite', () => {
  let h: Harness;
  let ref: Harness;
  beforeEach(async () => {
    h = await openHarness({ rules, chunkReadings: CHUNK });
    ref = await openHarness({ rules, chunkReadings: CHUNK });
  });
  afterEach(async () => {
    await h.close();
    await ref.close();
  });

  it('keeps decided results, refuses a correction before the horizon, applies one after it as a store that kept everything, restore lifts it', async () => {
    await horizonRoundTrip(h, ref, join(h.dir, 'archives'));
  });

  it('gives for any correction from the horizon on what a store that deleted nothing gives', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 7 * DAY }),
        fc.record({
          min_c: fc.constantFrom(2, 4.5),
          max_c: fc.constantFrom(6, 6.5, 8, 11),
          alarm_delay_ms: fc.constantFrom(5 * MIN, 10 * MIN, 60 * MIN),
          critical_margin_c: fc.constantFrom(1, 5),
          max_gap_ms: fc.constantFrom(20 * MIN, 30 * MIN, 6 * 60 * MIN),
        }),
        async (after, limits) => {
          const [x, y] = [await openHarness({ rules }), await openHarness({ rules })];
          try {
            await correctionAsReference(x, y, join(x.dir, 'archives'), after, limits);
          } finally {
            await x.close();
            await y.close();
          }
        },
      ),
      { numRuns: 3 },
    );
  }, 120_000);
});
