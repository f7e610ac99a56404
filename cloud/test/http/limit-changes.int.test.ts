import { describe, expect, it } from 'vitest';
import { SPECIFICATION_CHANGE_MEANING } from '../../src/domain/e-signature.js';
import { SPECIFICATION_CORRECTION_MEANING } from '../../src/domain/spec-versions.js';
import { bearer } from '../helpers/auth.js';
import { readings, T0 } from '../helpers/records.js';
import { LIMITS, MIN, ROOM, U1, U2, useLimitChanges } from './limit-changes-fixture.js';

/**
 * The operator unlock (EU GMP Annex 11 §10 change control, 21 CFR 11.10(d), 11.200): an operator widening
 * a location's limits re-evaluated history and lifted the locks of an excursion. Limits and product
 * specifications now change only e-signed by qa or admin with a reason, and the re-evaluation never lifts
 * a lock: only a signed disposition releases stock (docs/architecture.md "Master data", "Affected stock
 * and locks").
 */
describe('limit and specification changes (the operator unlock, closed)', () => {
  const j = useLimitChanges();
  const { call, ok, get, signedBy, audit, lockStates, unlockEvents, publish, reportLimits, settle } = j;

  it('the attack: an operator widening the limits is refused (403) and nothing changes', async () => {
    const attack = await call('PUT', '/api/v1/locations/room1', j.operator.headers, { ...ROOM, maxC: 50 });
    expect(attack.status).toBe(403);
    expect(attack.body).toMatchObject({ error: 'forbidden' });
    expect(attack.body.message).toMatch(
      /limits of location room1 change only with PUT .*\/limits.*e-signature/,
    );
    // Nor through the signed route, whatever the operator re-enters: limits are QA's.
    const signed = await call('PUT', '/api/v1/locations/room1/limits', j.operator.headers, {
      ...LIMITS,
      maxC: 50,
      reason: 'too many alarms',
      username: 'x',
      password: 'y',
    });
    expect(signed.status).toBe(403);
    // Nor through a retroactive correction.
    const corrected = await call('POST', '/api/v1/locations/room1/limits/corrections', j.operator.headers, {
      ...LIMITS,
      maxC: 50,
      effectiveFrom: null,
      reason: 'too many alarms',
      username: 'x',
      password: 'y',
    });
    expect(corrected).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(await get('/api/v1/locations/room1')).toMatchObject({ maxC: 8 });
    expect((await audit('location', 'room1')).map((a) => a.action)).toEqual(['location.created']);
    expect(await get(`/api/v1/excursions/${encodeURIComponent(j.excursionId)}`)).toMatchObject({
      state: 'closed',
      reviewState: 'pending',
    });
    expect(await lockStates('LOT-1')).toEqual([
      { epc: U1, state: 'active', held: false },
      { epc: U2, state: 'active', held: false },
    ]);
    // What an operator still does: rename a location (same limits).
    await ok('PUT', '/api/v1/locations/room1', j.operator.headers, { ...ROOM, name: 'Cold room 1 (east)' });
    expect(await get('/api/v1/locations/room1')).toMatchObject({ name: 'Cold room 1 (east)', maxC: 8 });
    ROOM.name = 'Cold room 1 (east)';
  });

  it('QA without a reason, with a wrong password, in the name of another user or by token: refused, nothing changed', async () => {
    const url = '/api/v1/locations/room1/limits';
    const wide = { ...LIMITS, maxC: 50 };
    const h = j.qaSession.headers;
    const auditBefore = await audit('location', 'room1');
    const plain = await call('PUT', '/api/v1/locations/room1', h, { ...ROOM, maxC: 50 });
    expect(plain).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    const { reason: _, ...noReason } = { ...wide, ...signedBy(j.qa) };
    expect(await call('PUT', url, h, noReason)).toMatchObject({ status: 400, body: { error: 'invalid' } });
    expect(await call('PUT', url, h, { ...wide, ...signedBy(j.qa, '  ') })).toMatchObject({ status: 400 });
    const { password: __, ...noPassword } = { ...wide, ...signedBy(j.qa) };
    expect(await call('PUT', url, h, noPassword)).toMatchObject({ status: 400, body: { error: 'invalid' } });
    const wrong = await call('PUT', url, h, { ...wide, ...signedBy(j.qa), password: `${j.qa.password}x` });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(wrong.body.message).toMatch(/signature refused/);
    const other = await call('PUT', url, h, { ...wide, ...signedBy(j.otherQa) });
    expect(other).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(other.body.message).toMatch(/only by its owner/);
    const token = await call('PUT', url, await bearer(j.cloud, ['qa']), { ...wide, ...signedBy(j.qa) });
    expect(token).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(token.body.message).toMatch(/needs a user/);

    expect(await get('/api/v1/locations/room1')).toMatchObject({ maxC: 8 });
    expect(await audit('location', 'room1')).toEqual(auditBefore);
    expect(await get(`/api/v1/excursions/${encodeURIComponent(j.excursionId)}`)).toMatchObject({
      state: 'closed',
    });
    expect(await lockStates('LOT-1')).toEqual([
      { epc: U1, state: 'active', held: false },
      { epc: U2, state: 'active', held: false },
    ]);
  });

  it('QA e-signed widening changes the future only: past excursions and locks stay, later readings are judged by it', async () => {
    const url = '/api/v1/locations/room1/limits';
    const h = j.qaSession.headers;
    // An ordinary change may not reach into the past: refused before the signature, nothing changed.
    const past = await call('PUT', url, h, { ...LIMITS, maxC: 50, effectiveFrom: T0, ...signedBy(j.qa) });
    expect(past).toMatchObject({ status: 400, body: { error: 'spec_effective_in_past' } });
    expect(past.body.message).toMatch(/retroactive correction/);
    expect((await audit('location', 'room1')).map((a) => a.action)).not.toContain(
      'location.limits_corrected',
    );
    expect(await get('/api/v1/locations/room1')).toMatchObject({ maxC: 8 });

    const signedAt = Date.now();
    const changed = await ok('PUT', url, h, { ...LIMITS, maxC: 50, ...signedBy(j.qa) });
    expect(changed).toMatchObject({ id: 'room1', maxC: 50, name: ROOM.name });
    const entry = (await audit('location', 'room1')).at(-1)!;
    expect(entry).toMatchObject({
      action: 'location.updated',
      actor: j.qa.username,
      reason: 'temperature mapping study TM-7',
    });
    expect(entry.after).toMatchObject({
      max_c: 50,
      version: 2,
      versionKind: 'change',
      signature: {
        username: j.qa.username,
        printedName: 'Quinn Assurance',
        meaning: SPECIFICATION_CHANGE_MEANING,
      },
    });
    expect(entry.after!.effectiveFrom).toBeGreaterThanOrEqual(signedAt);
    const effectiveFrom = entry.after!.effectiveFrom as number;
    await settle();
    // The past is as it was: the excursion under 2–8 °C stands, its units locked, nothing held.
    expect(await get(`/api/v1/excursions/${encodeURIComponent(j.excursionId)}`)).toMatchObject({
      state: 'closed',
      reviewState: 'pending',
    });
    expect(await lockStates('LOT-1')).toEqual([
      { epc: U1, state: 'active', held: false },
      { epc: U2, state: 'active', held: false },
    ]);
    expect(await get('/api/v1/excursions?state=withdrawn')).toEqual([]);
    // Its report shows the limits it was judged by (version 1), not the newer ones.
    expect((await reportLimits(j.excursionId)).maxC).toBe(8);

    // Readings after it are judged by 2–50 °C: 14 °C (past the critical margin of 2–8 °C: an excursion at
    // once under version 1) opens none.
    const later = readings(4, { firstSeq: 39, sensorId: 's-room1', locationId: 'room1', stepMs: 2 * MIN });
    await publish(
      'readings',
      later.map((r, k) => ({ ...r, ts: effectiveFrom + 2 * k * MIN, tempC: k === 1 ? 14 : 5 })),
    );
    await settle();
    expect((await get('/api/v1/excursions?locationId=room1')).map((e: { id: string }) => e.id)).toEqual([
      j.excursionId,
    ]);

    const versions = await get(`${url}/versions`);
    expect(versions).toMatchObject([
      { version: 1, kind: 'initial', effectiveFrom: null, replacedBy: null, spec: { maxC: 8 } },
      {
        version: 2,
        kind: 'change',
        effectiveFrom,
        replacedBy: null,
        actor: j.qa.username,
        spec: { maxC: 50 },
      },
    ]);
  });

  it('a retroactive correction re-evaluates the past, yet the units stay locked (held) until a signed disposition', async () => {
    const url = '/api/v1/locations/room1/limits/corrections';
    const h = j.qaSession.headers;
    // A correction takes effect in the past: a future instant is an ordinary change.
    const future = await call('POST', url, h, {
      ...LIMITS,
      maxC: 50,
      effectiveFrom: Date.now() + 3_600_000,
      ...signedBy(j.qa),
    });
    expect(future).toMatchObject({ status: 400, body: { error: 'invalid' } });
    expect(await get(`/api/v1/excursions/${encodeURIComponent(j.excursionId)}`)).toMatchObject({
      state: 'closed',
    });

    await ok('POST', url, h, { ...LIMITS, maxC: 50, effectiveFrom: null, ...signedBy(j.qa) });
    const entry = (await audit('location', 'room1')).at(-1)!;
    expect(entry).toMatchObject({ action: 'location.limits_corrected', actor: j.qa.username });
    expect(entry.after).toMatchObject({
      version: 3,
      versionKind: 'correction',
      effectiveFrom: null,
      replacesVersions: [1, 2],
      signature: { username: j.qa.username, meaning: SPECIFICATION_CORRECTION_MEANING },
    });
    // The excursion is no longer found under 2–50 °C: kept as withdrawn, pending review, units locked.
    const x = await get(`/api/v1/excursions/${encodeURIComponent(j.excursionId)}`);
    expect(x).toMatchObject({ state: 'withdrawn', reviewState: 'pending' });
    expect((await reportLimits(j.excursionId)).maxC).toBe(50);
    expect(x.affectedLots).toMatchObject([{ lotId: 'LOT-1', lockedUnits: 2 }]);
    expect(x.audit.map((a: { action: string }) => a.action)).toContain('excursion.withdrawn');
    expect((await get('/api/v1/excursions?state=withdrawn')).map((e: { id: string }) => e.id)).toEqual([
      j.excursionId,
    ]);
    expect((await get('/api/v1/lots/LOT-1')).units).toMatchObject({ total: 2, locked: 2 });
    expect(await lockStates('LOT-1')).toEqual([
      { epc: U1, state: 'active', held: true },
      { epc: U2, state: 'active', held: true },
    ]);
    const locks = await get(`/api/v1/locks?excursionId=${encodeURIComponent(j.excursionId)}`);
    expect(locks).toHaveLength(2);
    for (const l of locks) {
      expect(l.state).toBe('active');
      expect(l.holdReason).toContain(`limits of location room1 corrected retroactively by ${j.qa.username}`);
      expect(l.holdReason).toContain('only a signed disposition releases it');
    }
    expect(await unlockEvents()).toEqual([]);
    expect(
      (await get('/api/v1/locations/room1/limits/versions')).map(
        (v: { version: number; replacedBy: number | null }) => [v.version, v.replacedBy],
      ),
    ).toEqual([
      [1, 3],
      [2, 3],
      [3, null],
    ]);

    // Late data (or another change) never lifts them: still locked after a re-evaluation.
    await j.cloud.evaluator.evaluate('room1');
    expect((await get('/api/v1/lots/LOT-1')).units).toMatchObject({ locked: 2 });

    // Only a signed disposition releases them.
    await ok(
      'POST',
      `/api/v1/excursions/${encodeURIComponent(j.excursionId)}/dispositions`,
      j.qaSession.headers,
      {
        lotId: 'LOT-1',
        decision: 'release',
        ...signedBy(j.qa, 'reviewed against stability data'),
      },
    );
    expect((await get('/api/v1/lots/LOT-1')).units).toMatchObject({ locked: 0, released: 2 });
    expect(await get(`/api/v1/excursions/${encodeURIComponent(j.excursionId)}`)).toMatchObject({
      state: 'withdrawn',
      reviewState: 'decided',
    });
  });
});
