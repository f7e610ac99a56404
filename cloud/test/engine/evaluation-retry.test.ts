import { sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DomainEngine } from '../../src/engine/domain-engine.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { type Harness, location, MIN, openHarness, pass, send, T0 } from '../domain/harness.js';

const DEBOUNCE_MS = 1_000;
const UNIT = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 7 });

// docs/architecture.md "Evaluation marks": a recomputation that fails (the database went away) puts its
// work back and runs again after the debounce, whatever the work is: without more events, a unit's custody
// must not wait for the periodic sweep of evaluation marks (minutes) once the database is back.
describe('domain engine: a failed recomputation is retried', () => {
  let h: Harness;
  let engine: DomainEngine;
  let ingestor: Ingestor;
  beforeEach(async () => {
    h = await openHarness();
    engine = new DomainEngine({
      store: h.store,
      clock: h.clock,
      log: pino({ level: 'silent' }),
      debounceMs: DEBOUNCE_MS,
    });
    ingestor = new Ingestor({
      store: h.store,
      clock: h.clock,
      log: pino({ level: 'silent' }),
      onMovements: (epcs) => engine.markEpcs(epcs),
    });
    await location(h, 'dock');
    await location(h, 'room-a');
    await h.store.upsertGateway({ id: 'gw-a', now: T0 });
  });
  afterEach(async () => {
    await engine.close();
    await h.close();
  });

  const custody = () => h.store.db.selectFrom('custody').select(['epc', 'location_id']).execute();

  it('of a unit’s custody, after the debounce, with no new event', async () => {
    const derive = vi
      .spyOn(engine as unknown as { derive: () => Promise<unknown> }, 'derive')
      .mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));
    await send(ingestor, pass('gw-a', 1, UNIT, 'dock', 'room-a', T0 - MIN));
    // The debounce: the recomputation runs and fails.
    await h.clock.advanceAsync(DEBOUNCE_MS);
    await until(
      () => derive.mock.results.length === 1 && derive.mock.settledResults[0]?.type === 'rejected',
      'the failed recomputation',
    );
    expect(await custody()).toEqual([]);
    // It is due again one debounce later, and then takes the unit.
    await until(() => h.clock.nextDueAt() === h.clock.now() + DEBOUNCE_MS, 'a retry scheduled');
    await h.clock.advanceAsync(DEBOUNCE_MS);
    await until(async () => (await custody()).length === 1, 'the unit’s custody');
    expect(await custody()).toEqual([{ epc: UNIT, location_id: 'room-a' }]);
    // The unit's mark went with the recomputation (the locations' marks are the master data's).
    const marks = await h.store.db.selectFrom('evaluation_marks').select('kind').execute();
    expect(marks.filter((m) => m.kind === 'epc')).toEqual([]);
  });
});
