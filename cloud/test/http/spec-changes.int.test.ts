import { describe, expect, it } from 'vitest';
import { SPECIFICATION_CORRECTION_MEANING } from '../../src/domain/spec-versions.js';
import { T0 } from '../helpers/records.js';
import { GTIN, MIN, RULE, RULE_KEY, SPEC, U3, useLimitChanges } from './limit-changes-fixture.js';

// Product specifications under the same change control as limits (limit-changes.int.test.ts).

describe('limit and specification changes (the operator unlock, closed)', () => {
  const j = useLimitChanges();
  const { call, ok, get, signedBy, audit, lockStates, unlockEvents, settle } = j;

  it('a product specification: operator refused, wrong password refused, an e-signed raise changes only the future; a correction holds the rule lock until a disposition', async () => {
    const product = { name: 'Vaccine X', ...SPEC };
    const before = await get(`/api/v1/products/${GTIN}`);
    const looser = { cumulativeRules: [{ ...RULE, limitMs: 60 * MIN }] };
    for (const change of [looser, { minC: 0 }, { stabilityBudgetMs: 900 * MIN }]) {
      const r = await call('PUT', `/api/v1/products/${GTIN}`, j.operator.headers, { ...product, ...change });
      expect(r, JSON.stringify(change)).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    }
    const url = `/api/v1/products/${GTIN}/limits`;
    const corrections = `${url}/corrections`;
    const asOperator = await call('POST', corrections, j.operator.headers, {
      ...SPEC,
      ...looser,
      effectiveFrom: null,
      ...signedBy(j.qa),
    });
    expect(asOperator).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    const wrong = await call('PUT', url, j.qaSession.headers, {
      ...SPEC,
      ...looser,
      ...signedBy(j.qa),
      password: 'nope',
    });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    const past = await call('PUT', url, j.qaSession.headers, {
      ...SPEC,
      ...looser,
      effectiveFrom: T0,
      ...signedBy(j.qa),
    });
    expect(past).toMatchObject({ status: 400, body: { error: 'spec_effective_in_past' } });
    expect(await get(`/api/v1/products/${GTIN}`)).toEqual(before);
    expect(await lockStates('LOT-2')).toEqual([{ epc: U3, state: 'active', held: false }]);

    // An ordinary raise (from now): the unit reached the 30 min rule while it was in force, so it stays
    // locked as it was (not held: nothing in the past changed).
    await ok('PUT', url, j.qaSession.headers, {
      ...SPEC,
      ...looser,
      ...signedBy(j.qa, 'stability study SS-12'),
    });
    expect((await get(`/api/v1/products/${GTIN}`)).cumulativeRules).toEqual(looser.cumulativeRules);
    const entry = (await audit('product', GTIN)).at(-1)!;
    expect(entry).toMatchObject({
      action: 'product.updated',
      actor: j.qa.username,
      reason: 'stability study SS-12',
    });
    expect(entry.after).toMatchObject({
      version: 2,
      versionKind: 'change',
      signature: { username: j.qa.username },
    });
    await settle();
    expect(await lockStates('LOT-2')).toEqual([{ epc: U3, state: 'active', held: false }]);
    expect(
      (await get(`${url}/versions`)).map(
        (v: { version: number; kind: string; replacedBy: number | null }) => [
          v.version,
          v.kind,
          v.replacedBy,
        ],
      ),
    ).toEqual([
      [1, 'initial', null],
      [2, 'change', null],
    ]);

    // A retroactive correction from the beginning: 40 min is under the corrected 60 min rule, yet the
    // unit stays locked: the lock is held for review.
    await ok('POST', corrections, j.qaSession.headers, {
      ...SPEC,
      ...looser,
      effectiveFrom: null,
      ...signedBy(j.qa, 'the 30 min rule was a typo'),
    });
    const corrected = (await audit('product', GTIN)).at(-1)!;
    expect(corrected).toMatchObject({ action: 'product.specification_corrected', actor: j.qa.username });
    expect(corrected.after).toMatchObject({
      version: 3,
      replacesVersions: [1, 2],
      signature: { meaning: SPECIFICATION_CORRECTION_MEANING },
    });
    await settle();
    expect(await lockStates('LOT-2')).toEqual([{ epc: U3, state: 'active', held: true }]);
    expect((await get('/api/v1/lots/LOT-2')).units).toMatchObject({ locked: 1 });
    expect(await unlockEvents()).toEqual([]);
    // Only a signed disposition decides it (here a rejection: releasing stock a cumulative rule locked may
    // need more than one signature, which is not what this test is about).
    await ok('POST', `/api/v1/excursions/${RULE_KEY}/dispositions`, j.qaSession.headers, {
      lotId: 'LOT-2',
      decision: 'reject',
      ...signedBy(j.qa, 'not covered by stability data'),
    });
    expect((await get('/api/v1/lots/LOT-2')).units).toMatchObject({ locked: 0, rejected: 1 });
  });
});
