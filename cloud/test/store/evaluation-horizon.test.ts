import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { RateOfChangeRule } from '../../src/domain/rules/rate-of-change-rule.js';
import { type Harness, openHarness } from '../domain/harness.js';
import { horizonRoundTrip, RISE_PROFILE } from './evaluation-horizon-suite.js';

// docs/domain.md "Evaluation horizon" on SQLite (PostgreSQL: evaluation-horizon.pg.svc.test.ts).

const rules = [new RateOfChangeRule([RISE_PROFILE])];

describe('the evaluation horizon after deleting archived readings, on SQLite', () => {
  let h: Harness;
  let ref: Harness;
  beforeEach(async () => {
    h = await openHarness({ rules });
    ref = await openHarness({ rules });
  });
  afterEach(async () => {
    await h.close();
    await ref.close();
  });

  it('keeps decided results, refuses a correction before the horizon, applies one after it as a store that kept everything, restore lifts it', async () => {
    await horizonRoundTrip(h, ref, join(h.dir, 'archives'));
  });
});
