import { afterEach, describe, expect, it } from 'vitest';
import { serializeRules } from '../../src/domain/cumulative-rules.js';
import { lockSubject } from '../../src/domain/locks/lock-subject.js';
import { assessLot } from '../../src/domain/lot-assessment.js';
import { SECOND_SIGNATURE_MEANING } from '../../src/domain/release-proposals.js';
import type { SignatureVerifier } from '../../src/domain/signature.js';
import { approveReleaseProposal, signDecision, signDisposition } from '../../src/engine/sign-disposition.js';
import { verifyAuditTrail } from '../../src/store/audit-trail.js';
import { lotReads } from '../../src/store/lot-reads.js';
import { JUSTIFICATION, releaseWithTwoSignatures } from '../helpers/two-person.js';
import {
  type CumHarness,
  cumulativeLocks,
  GTIN,
  KEY,
  openCumulative as open,
  RULE,
  resetSeq,
  s,
  series,
  U1,
  U2,
  U3,
} from './cumulative-fixture.js';
import { MIN, pass, sendAll, T0 } from './harness.js';

const verifier: SignatureVerifier = async (username, password) =>
  password !== 'correct horse'
    ? null
    : username === 'qa.anna'
      ? { userId: 'u-qa', username, printedName: 'Anna Quality', roles: ['qa'] }
      : username === 'qa.bruno'
        ? { userId: 'u-qa2', username, printedName: 'Bruno Prüfer', roles: ['qa'] }
        : null;
/** The second QA user of a two-person release. */
const BRUNO = { username: 'qa.bruno', password: 'correct horse', userId: 'u-qa2' };

let h: CumHarness;
afterEach(async () => {
  await h?.close();
  resetSeq();
});

describe('cumulative rules: QA decisions and product rule changes (docs/domain.md "Cumulative rules")', () => {
  it('a rejection signed while a release awaits its second signature supersedes the proposal', async () => {
    h = await open();
    await sendAll(h, [
      pass('gw-fridge', s(), U1, 'room-a', 'fridge', T0),
      pass('gw-fridge', s(), U2, 'room-a', 'fridge', T0),
      ...series('gw-fridge', 'fridge-a', 'fridge', 0, 120, [0, 70]),
    ]);
    await h.settle();
    const anna = { username: 'qa.anna', password: 'correct horse', signedInUserId: 'u-qa' };
    const proposed = await signDecision(h.engine, verifier, {
      excursionId: KEY,
      lotId: 'LOT-1',
      decision: 'release',
      reason: 'VVM stage 1',
      justification: JUSTIFICATION,
      ...anna,
    });
    if (proposed.kind !== 'proposal') throw new Error('expected a proposal');
    const state = async () =>
      (
        await h.engine.db
          .selectFrom('release_proposals')
          .select('state')
          .where('id', '=', proposed.proposal.id)
          .executeTakeFirstOrThrow()
      ).state;
    // Precondition: the proposal awaits its second signature.
    expect(await state()).toBe('pending');
    const rejected = await signDisposition(h.engine, verifier, {
      excursionId: KEY,
      lotId: 'LOT-1',
      decision: 'reject',
      reason: 'stability data do not cover it',
      ...anna,
    });
    expect(await state()).toBe('superseded');
    const entry = (await h.domain.listAudit({ entityType: 'release-proposal' })).find(
      (a) => a.action === 'release.superseded',
    );
    expect(entry).toMatchObject({ entity_id: proposed.proposal.id, actor: 'qa.anna' });
    expect(entry!.reason).toContain(rejected.id);
    // The second signature can no longer release what was rejected.
    await expect(
      approveReleaseProposal(h.engine, verifier, {
        proposalId: proposed.proposal.id,
        username: BRUNO.username,
        password: BRUNO.password,
        signedInUserId: BRUNO.userId,
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect((await cumulativeLocks(h)).map((l) => l.state)).toEqual(['rejected', 'rejected']);
    expect((await verifyAuditTrail(h.engine.db)).ok).toBe(true);
  });

  it('only a QA disposition (per lot, naming the rule key) releases it; the signed decision stands', async () => {
    h = await open();
    await sendAll(h, [
      pass('gw-fridge', s(), U1, 'room-a', 'fridge', T0),
      pass('gw-fridge', s(), U2, 'room-a', 'fridge', T0),
      ...series('gw-fridge', 'fridge-a', 'fridge', 0, 120, [0, 70]),
    ]);
    await h.settle();
    expect((await cumulativeLocks(h)).map((l) => [l.epc, l.state])).toEqual(
      [
        [U1, 'active'],
        [U2, 'active'],
      ].sort(),
    );
    await expect(
      signDisposition(h.engine, verifier, {
        excursionId: 'cumulative:LOT-1:above:8:999',
        lotId: 'LOT-1',
        decision: 'release',
        reason: 'x',
        username: 'qa.anna',
        password: 'correct horse',
        signedInUserId: 'u-qa',
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
    const release = {
      excursionId: KEY,
      lotId: 'LOT-1',
      decision: 'release' as const,
      reason: 'VVM stage 1, stability data cover 70 min above +8 °C',
      username: 'qa.anna',
      password: 'correct horse',
      signedInUserId: 'u-qa',
    };
    // A reached cumulative rule is released only by two QA users (domain/release-guard.ts).
    await expect(signDisposition(h.engine, verifier, release)).rejects.toMatchObject({
      code: 'second_signature_required',
    });
    expect((await cumulativeLocks(h)).map((l) => l.state)).toEqual(['active', 'active']);
    const d = await releaseWithTwoSignatures(h.engine, verifier, release, BRUNO);
    expect(d).toMatchObject({ excursion_id: KEY, units: 2, decision: 'release' });
    // The release is the second signer's, with its own meaning, naming the first signature's manifest.
    const [proposal] = await h.engine.db.selectFrom('release_proposals').selectAll().execute();
    expect(proposal).toMatchObject({ state: 'approved', disposition_id: d.id, signer_id: 'u-qa' });
    expect(d).toMatchObject({ signer_id: 'u-qa2', meaning: SECOND_SIGNATURE_MEANING });
    expect(d.reason).toContain(`(manifest ${proposal!.manifest_hash})`);
    const actions = (
      await h.engine.db
        .selectFrom('audit_log')
        .select('action')
        .where('action', 'like', 'release.%')
        .execute()
    ).map((a) => a.action);
    expect(actions).toEqual(['release.proposed', 'release.approved']);
    expect((await cumulativeLocks(h)).map((l) => l.state)).toEqual(['released', 'released']);
    expect((await assessLot(lotReads(h.engine.db), 'LOT-1'))!.units).toMatchObject({
      locked: 0,
      released: 2,
    });
    // More exposure later (and a recomputation) does not undo the signed decision.
    await sendAll(h, series('gw-fridge', 'fridge-a', 'fridge', 130, 200, [130, 200]));
    await h.settle();
    expect((await cumulativeLocks(h)).map((l) => l.state)).toEqual(['released', 'released']);
    const audit = await h.domain.listAudit({ entityType: 'cumulative-rule', entityId: KEY });
    expect(audit.map((x) => x.action)).toEqual(['disposition.release']);
  });

  it('a product rule change re-evaluates its lots: a raised limit holds undecided locks for QA (never lifts), a lowered one locks', async () => {
    h = await open();
    await sendAll(h, [
      pass('gw-fridge', s(), U3, 'room-a', 'fridge', T0),
      ...series('gw-fridge', 'fridge-a', 'fridge', 0, 120, [0, 70]),
      ...series('gw-room', 'room-a-1', 'room-a', 0, 120, [0, 0]),
    ]);
    await h.settle();
    const OLD = 'cumulative:LOT-2:above:8:3600000';
    const NEW = 'cumulative:LOT-2:above:8:1800000';
    const locks = async () =>
      (await h.engine.db.selectFrom('locks').selectAll().orderBy('rule_key').execute()).map((l) => [
        lockSubject(l.cause, l.rule_key),
        l.state,
        l.hold_reason !== null,
      ]);
    expect(await locks()).toEqual([[OLD, 'active', false]]);
    const product = { gtin: GTIN, name: 'OPV', min_c: 2, max_c: 8, stability_budget_ms: 600 * MIN };
    const rules = async (limitMs: number) => {
      await h.domain.upsertProduct(
        { ...product, cumulative_rules: serializeRules([{ ...RULE, limitMs }]) },
        'admin',
        T0,
      );
      h.engine.markProduct(GTIN);
      await h.settle();
    };
    // 70 min is under a 120 min limit, yet a specification change releases nothing: the lock is held.
    await rules(120 * MIN);
    expect(await locks()).toEqual([[OLD, 'active', true]]);
    const audit = await h.domain.listAudit({ entityType: 'lock' });
    expect(audit.map((a) => a.action)).toEqual(['lock.created', 'lock.held']);
    expect(audit[1]!.reason).toMatch(
      /product's rules changed.*would have removed the lock.*signed disposition/,
    );
    expect(
      await h.engine.db.selectFrom('outbox').select('id').where('event', '=', 'unlock').execute(),
    ).toEqual([]);
    expect((await assessLot(lotReads(h.engine.db), 'LOT-2'))!.units).toMatchObject({ locked: 1 });
    // Back to 60 min, then late data shows U3 left the fridge at +40 (40 min above +8 °C, under the limit):
    // an automatic lock would be lifted (see above), a held one stays.
    await rules(60 * MIN);
    await sendAll(h, [pass('gw-room', s(), U3, 'fridge', 'room-a', T0 + 40 * MIN)]);
    await h.settle();
    expect(await locks()).toEqual([[OLD, 'active', true]]);
    // A lowered limit locks.
    await rules(30 * MIN);
    expect(await locks()).toEqual([
      [NEW, 'active', false],
      [OLD, 'active', true],
    ]);
    expect((await cumulativeLocks(h)).find((l) => l.key === NEW)?.from).toBe(T0 + 30 * MIN);
    // Only a signed disposition on the held lock's key releases it.
    const d = await releaseWithTwoSignatures(
      h.engine,
      verifier,
      {
        excursionId: OLD,
        lotId: 'LOT-2',
        decision: 'release',
        reason: 'the 60 min rule was entered by mistake; stability data cover 120 min',
        username: 'qa.anna',
        password: 'correct horse',
        signedInUserId: 'u-qa',
      },
      BRUNO,
    );
    expect(d).toMatchObject({ excursion_id: OLD, units: 1 });
    expect(await locks()).toEqual([
      [NEW, 'active', false],
      [OLD, 'released', true],
    ]);
    expect((await verifyAuditTrail(h.engine.db)).ok).toBe(true);
  });
});
