import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deepFindingLine, deepVerify } from '../../src/domain/deep-verify.js';
import { SPECIFICATION_CHANGE_MEANING } from '../../src/domain/e-signature.js';
import { specificationManifest } from '../../src/domain/signature-manifest.js';
import { SPECIFICATION_CORRECTION_MEANING } from '../../src/domain/spec-versions.js';
import { readDeepVerifyData } from '../../src/store/deep-verify-reads.js';
import { changeLocationLimits } from '../../src/store/location-master.js';
import { changeProductSpecification } from '../../src/store/product-master.js';
import { listExcursions } from '../../src/store/queries/list-excursions.js';
import { annaSigns, unitEpc } from './domain-fixtures.js';
import {
  evaluateAll,
  type Harness,
  location,
  MIN,
  openHarness,
  pass,
  reading,
  sendAll,
  T0,
} from './harness.js';

const [U1, U2] = [unitEpc(1), unitEpc(2)];
const sign = (excursionId: string, unit: string, decision: 'release' | 'reject') =>
  annaSigns(h, { excursionId, epc: unit, decision, reason: 'reviewed the data' });

let h: Harness;
let seq = 0;
const s = () => ++seq;
/** The findings of the deep checks, one line each (empty: the tables agree with the trail). */
const findings = async () => deepVerify(await readDeepVerifyData(h.engine.db)).findings.map(deepFindingLine);

beforeEach(async () => {
  seq = 0;
  h = await openHarness();
  for (const id of ['room-a', 'truck-1']) await location(h, id);
  for (const gw of ['gw-room', 'gw-truck']) await h.store.upsertGateway({ id: gw, now: T0 });
});
afterEach(() => h?.close());

/**
 * The deep checks over flows whose locks move, merge, are held and are decided twice: what the derivation
 * writes is always what the trail replays to, so none of this is reported; a direct edit still is.
 */
describe('audit verify --deep over derived lock histories', () => {
  it('merged excursions and a decision signed again on a new version agree; rolling back to the superseded signature does not', async () => {
    // Two excursions on the truck while U1 is on it, then a late sensor bridges them: their locks merge.
    await sendAll(h, [pass('gw-room', s(), U1, 'room-a', 'truck-1', T0 + 10 * MIN)]);
    for (let m = 0; m <= 120; m += 5)
      await sendAll(h, [
        reading(
          'gw-truck',
          s(),
          'reefer-1',
          'truck-1',
          T0 + m * MIN,
          (m >= 20 && m < 40) || (m >= 50 && m < 65) ? 12 : 5,
        ),
      ]);
    await h.engine.flush();
    expect(await listExcursions(h.domain.db)).toHaveLength(2);
    await sendAll(h, [
      reading('gw-truck', s(), 'reefer-8', 'truck-1', T0 + 35 * MIN, 12),
      reading('gw-truck', s(), 'reefer-8', 'truck-1', T0 + 55 * MIN, 12),
      reading('gw-truck', s(), 'reefer-8', 'truck-1', T0 + 60 * MIN, 6),
    ]);
    await h.engine.flush();
    const [x] = await listExcursions(h.domain.db);
    const actions = (await h.engine.db.selectFrom('audit_log').select('action').execute()).map(
      (a) => a.action,
    );
    expect(actions.some((a) => a === 'lock.merged' || a === 'lock.moved')).toBe(true);
    expect(await findings()).toEqual([]);
    // Released, then late data lengthens the excursion (back to review) and QA rejects the new version.
    const first = await sign(x!.id, U1, 'release');
    await sendAll(h, [
      reading('gw-truck', s(), 'reefer-2', 'truck-1', T0 + 60 * MIN, 11),
      reading('gw-truck', s(), 'reefer-2', 'truck-1', T0 + 80 * MIN, 11),
      reading('gw-truck', s(), 'reefer-2', 'truck-1', T0 + 85 * MIN, 5),
    ]);
    await h.engine.flush();
    const second = await sign(x!.id, U1, 'reject');
    expect(second.excursion_version).toBeGreaterThan(first.excursion_version);
    expect(await findings()).toEqual([]);
    // The lock put back to the superseded release: its own disposition row and manifest are genuine, yet the
    // trail's last word on the lock is the reject.
    await sql`UPDATE locks SET state = 'released', disposition_id = ${first.id} WHERE epc = ${U1}`.execute(
      h.engine.db,
    );
    const found = await findings();
    expect(found.join('\n')).toMatch(
      /locks: locks row [0-9A-F]+\|\S+: state released, but audit entry \d+ \(disposition\.reject\) left it rejected/,
    );
    expect(found.join('\n')).toMatch(
      new RegExp(
        `disposition_id "${first.id}", but audit entry \\d+ \\(disposition\\.reject\\) recorded "${second.id}"`,
      ),
    );
  });

  it('held locks agree; a hold removed by a direct edit does not', async () => {
    await sendAll(h, [
      pass('gw-room', s(), U1, 'dock', 'room-a', T0 - MIN),
      pass('gw-room', s(), U2, 'dock', 'room-a', T0 + 20 * MIN),
    ]);
    for (let m = 0; m <= 60; m += 2)
      await sendAll(h, [reading('gw-room', s(), 's-1', 'room-a', T0 + m * MIN, m >= 10 && m < 30 ? 12 : 5)]);
    await evaluateAll(h);
    const loc = (await h.store.getLocation('room-a'))!;
    await h.store.upsertLocation({ ...loc, max_c: 15 }, T0 + 120 * MIN, { actor: 'alice' });
    await evaluateAll(h);
    const held = await h.engine.db.selectFrom('locks').select(['epc', 'hold_reason']).execute();
    expect(held.map((l) => l.hold_reason !== null)).toEqual([true, true]);
    const [x] = await h.engine.db.selectFrom('excursions').select('id').execute();
    await sign(x!.id, U1, 'release');
    expect(await findings()).toEqual([]);
    await sql`UPDATE locks SET hold_reason = NULL WHERE epc = ${U2}`.execute(h.engine.db);
    expect((await findings()).join('\n')).toMatch(
      /locks: locks row [0-9A-F]+\|\S+: not held, but audit entry \d+ \(lock\.held\) left it held/,
    );
  });

  it('signed specification changes and corrections carry a manifest of the state approved; the tables agree', async () => {
    const signer = { userId: 'u-qa', username: 'qa.anna', printedName: 'Anna Quality', roles: ['qa'] };
    const loc = (await h.store.getLocation('room-a'))!;
    const limits = {
      min_c: loc.min_c,
      max_c: 10,
      alarm_delay_ms: loc.alarm_delay_ms,
      critical_margin_c: loc.critical_margin_c,
      max_gap_ms: loc.max_gap_ms,
    };
    const at = T0 + 60 * MIN;
    await changeLocationLimits(h.store.db, 'room-a', limits, at, {
      signer,
      reason: 'new qualification',
      meaning: SPECIFICATION_CHANGE_MEANING,
      signedAt: at,
    });
    await changeLocationLimits(
      h.store.db,
      'room-a',
      { ...limits, max_c: 9 },
      at + MIN,
      { signer, reason: 'mapping study', meaning: SPECIFICATION_CORRECTION_MEANING, signedAt: at + MIN },
      { kind: 'correction', effectiveFrom: Number.NEGATIVE_INFINITY, dataNow: at },
    );
    const gtin = '80614141123458';
    await h.domain.upsertProduct(
      { gtin, name: 'Vaccine X', min_c: 2, max_c: 8, stability_budget_ms: 0 },
      'admin',
      T0,
    );
    await changeProductSpecification(
      h.store.db,
      gtin,
      { min_c: 2, max_c: 25, stability_budget_ms: 0, cumulative_rules: '[]' },
      at,
      {
        signer,
        reason: 'stability data',
        meaning: SPECIFICATION_CHANGE_MEANING,
        signedAt: at,
      },
    );
    await evaluateAll(h);
    const signed = (await h.engine.db.selectFrom('audit_log').selectAll().orderBy('seq').execute())
      .map((e) => ({ e, after: JSON.parse(e.after_json ?? 'null') }))
      .filter(({ after }) => after?.signature);
    expect(signed.map(({ e }) => e.action)).toEqual([
      'location.updated',
      'location.limits_corrected',
      'product.updated',
    ]);
    for (const { e, after } of signed) {
      const { signature, ...content } = after;
      expect(signature.manifestHash).toBe(
        specificationManifest({
          entityType: e.entity_type,
          entityId: e.entity_id,
          content,
          meaning: signature.meaning,
          reason: e.reason,
          signer,
          signedAt: signature.signedAt,
        }).hash,
      );
    }
    expect(await findings()).toEqual([]);
    // The corrected limits are the row's: an edit back to the earlier version is found.
    await sql`UPDATE locations SET max_c = 10 WHERE id = 'room-a'`.execute(h.engine.db);
    expect((await findings()).join('\n')).toMatch(
      /master data: locations row room-a: max_c 10, but audit entry \d+ recorded 9/,
    );
  });
});
