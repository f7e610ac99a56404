import { describe, expect, it } from 'vitest';
import { Activity } from '../src/activity.js';

describe('Activity', () => {
  it('counts work by kind until it settles, whether it resolves or rejects', async () => {
    const a = new Activity();
    expect(a.busy()).toBeUndefined();
    let finish!: () => void;
    let fail!: (e: Error) => void;
    const one = a.track('ingest', new Promise<void>((r) => (finish = r)));
    const two = a.track('ingest', new Promise<void>((_, r) => (fail = r)));
    const three = a.track('evaluation', Promise.resolve(7));
    expect(a.busy()).toBe('ingest ×2, evaluation');
    expect(await three).toBe(7);
    expect(a.busy()).toBe('ingest ×2');
    finish();
    await one;
    expect(a.busy()).toBe('ingest');
    fail(new Error('store down'));
    await expect(two).rejects.toThrow('store down');
    expect(a.busy()).toBeUndefined();
  });
});
