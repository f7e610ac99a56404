import { describe, expect, it } from 'vitest';
import { RecoveryTracker } from '../../src/engine/recovery-progress.js';

describe('RecoveryTracker', () => {
  it('is not recovering before a start found work, nor once all of it is done', () => {
    const r = new RecoveryTracker();
    expect(r.recovering).toBe(false);
    r.begin({ locations: [], units: [], products: [] });
    expect(r.recovering).toBe(false);
  });

  it('counts what a start found, done of total, and where the long window under evaluation is', () => {
    const r = new RecoveryTracker();
    r.begin({ locations: ['a', 'b'], units: ['u1'], products: [] });
    r.begin({ locations: ['b', 'c'] });
    expect(r.progress()).toEqual({
      locations: { done: 0, total: 3 },
      units: { done: 0, total: 1 },
      products: { done: 0, total: 0 },
      readingsEvaluated: 0,
    });
    r.done('units', ['u1', 'not-recovered']);
    r.chunk('a', 10_000, Date.UTC(2026, 0, 5));
    r.chunk('elsewhere', 500, Date.UTC(2026, 0, 6));
    expect(r.progress()).toEqual({
      locations: { done: 0, total: 3 },
      units: { done: 1, total: 1 },
      products: { done: 0, total: 0 },
      readingsEvaluated: 10_500,
      current: { locationId: 'a', evaluatedTo: '2026-01-05T00:00:00.000Z' },
    });
    r.done('locations', ['a', 'b']);
    expect(r.progress().current).toBeUndefined();
    expect(r.recovering).toBe(true);
    r.done('locations', ['c']);
    expect(r.recovering).toBe(false);
    expect(r.progress().locations).toEqual({ done: 3, total: 3 });
  });

  it('tells when the recovery is over: at once if there is none, else when its last subject is done', async () => {
    const r = new RecoveryTracker();
    await r.whenRecovered();
    r.begin({ locations: ['a'], units: ['u1'] });
    let over = false;
    const waited = r.whenRecovered().then(() => {
      over = true;
    });
    r.done('units', ['u1']);
    await Promise.resolve();
    expect(over).toBe(false);
    r.done('locations', ['a']);
    await waited;
    expect(over).toBe(true);
  });
});
