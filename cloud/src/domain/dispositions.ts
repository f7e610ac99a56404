import { randomUUID } from 'node:crypto';
import { type Clock, ColdtraceError, systemClock } from '@coldtrace/shared';
import type { Transaction } from 'kysely';
import type { DispositionsTable, DomainDatabase } from '../store/schema.js';
import type { DomainEngine } from './domain-engine.js';
import { authenticateSigner, type SignatureInput } from './e-signature.js';
import type { LockCause } from './locks/reconcile-locks.js';
import { type Decision, SIGNATURE_MEANINGS, type SignatureVerifier } from './signature.js';

export interface DispositionRequest extends SignatureInput {
  excursionId: string;
  /** Exactly one of lotId / epc. */
  lotId?: string | undefined;
  epc?: string | undefined;
  decision: Decision;
  reason: string;
}

/**
 * docs/architecture.md "Disposition": QA releases or rejects the units of a lot (or one unit) affected by an
 * excursion, with an electronic signature. Locks of those units for that excursion become 'released'
 * or 'rejected' and keep that state whatever later data does; the excursion is 'decided' once no
 * active lock is left on it. Signature, lock changes, audit entries and the integration event are one
 * transaction, stamped with the wall clock's time of signing (21 CFR 11.50(a)(2): the date and time of
 * the signing), never the data clock's (docs/architecture.md "Time").
 */
export async function signDisposition(
  engine: DomainEngine,
  verify: SignatureVerifier,
  req: DispositionRequest,
  wallClock: Clock = systemClock,
): Promise<DispositionsTable> {
  if ((req.lotId === undefined) === (req.epc === undefined)) {
    throw new ColdtraceError('invalid', 'give exactly one of lotId or epc');
  }
  if (!req.reason.trim()) throw new ColdtraceError('invalid', 'a reason is required');
  const signer = await authenticateSigner(verify, req, 'sign dispositions');
  return engine.exclusive(() =>
    engine.derive(async (trx, log, now) => {
      const x = await dispositionSubject(trx, req.excursionId);
      let epcs: string[];
      if (req.lotId !== undefined) {
        const lot = await trx.selectFrom('lots').select('id').where('id', '=', req.lotId).executeTakeFirst();
        if (!lot) throw new ColdtraceError('not_found', `lot ${req.lotId} not found`);
        epcs = (await trx.selectFrom('epcs').select('epc').where('lot_id', '=', req.lotId).execute()).map(
          (r) => r.epc,
        );
      } else epcs = [req.epc!.toUpperCase()];
      const what = req.lotId !== undefined ? `lot ${req.lotId}` : `EPC ${req.epc}`;
      const affected = epcs.length
        ? await trx
            .selectFrom('locks')
            .leftJoin('dispositions', 'dispositions.id', 'locks.disposition_id')
            .selectAll('locks')
            .select('dispositions.excursion_version as decided_version')
            .where('locks.excursion_id', '=', req.excursionId)
            .where('locks.state', '!=', 'lifted')
            .where('locks.epc', 'in', epcs)
            .execute()
        : [];
      if (affected.length === 0) {
        throw new ColdtraceError('conflict', `${what} has no units affected by excursion ${req.excursionId}`);
      }
      // A signed decision stands: only units still locked, or decided on an earlier version of the
      // excursion that later data has since changed (it returned to review), can be decided now.
      const rows = affected.filter(
        (r) => r.state === 'active' || (r.decided_version ?? x.version) < x.version,
      );
      if (rows.length === 0) {
        throw new ColdtraceError(
          'conflict',
          `${what} is already decided for version ${x.version} of excursion ${req.excursionId}; a signed decision is not overwritten`,
        );
      }
      const d: DispositionsTable = {
        id: randomUUID(),
        excursion_id: req.excursionId,
        scope: req.lotId !== undefined ? 'lot' : 'epc',
        lot_id: req.lotId ?? null,
        epc: req.epc?.toUpperCase() ?? null,
        decision: req.decision,
        reason: req.reason,
        signer_id: signer.userId,
        signer_username: signer.username,
        printed_name: signer.printedName,
        meaning: SIGNATURE_MEANINGS[req.decision],
        signed_at: now,
        excursion_version: x.version,
        units: rows.length,
      };
      await trx.insertInto('dispositions').values(d).execute();
      const state = req.decision === 'release' ? 'released' : 'rejected';
      const units = rows.map((r) => r.epc).sort();
      for (let i = 0; i < units.length; i += 500) {
        await trx
          .updateTable('locks')
          .set({
            state,
            disposition_id: d.id,
            reason: `${state} by ${signer.printedName}: ${req.reason}`,
            updated_at: now,
          })
          .where('excursion_id', '=', req.excursionId)
          .where('state', '!=', 'lifted')
          .where('epc', 'in', units.slice(i, i + 500))
          .execute();
      }
      log.audit.push({
        actor: signer.username,
        action: `disposition.${req.decision}`,
        entityType:
          x.kind === 'excursion' ? 'excursion' : x.kind === 'cumulative' ? 'cumulative-rule' : 'rule-alarm',
        entityId: req.excursionId,
        before: { locks: rows.map((r) => ({ epc: r.epc, state: r.state })) },
        after: {
          dispositionId: d.id,
          lotId: d.lot_id,
          epc: d.epc,
          state,
          signature: {
            signerId: d.signer_id,
            printedName: d.printed_name,
            signedAt: now,
            meaning: d.meaning,
          },
          excursionVersion: d.excursion_version,
        },
        reason: req.reason,
      });
      const active = await trx
        .selectFrom('locks')
        .select('epc')
        .where('excursion_id', '=', req.excursionId)
        .where('state', '=', 'active')
        .limit(1)
        .executeTakeFirst();
      if (!active && x.kind === 'excursion' && x.review_state !== 'decided') {
        await trx.updateTable('excursions').set({ review_state: 'decided' }).where('id', '=', x.id).execute();
        log.audit.push({
          actor: signer.username,
          action: 'excursion.decided',
          entityType: 'excursion',
          entityId: x.id,
          before: { reviewState: x.review_state },
          after: { reviewState: 'decided', version: x.version },
          reason: 'every affected unit has a QA decision',
        });
      }
      const lots = new Map(
        (await trx.selectFrom('epcs').select(['epc', 'lot_id']).where('epc', 'in', units).execute()).map(
          (r) => [r.epc, r.lot_id],
        ),
      );
      log.extraEvents.push({
        type: 'disposition',
        dispositionId: d.id,
        excursionId: d.excursion_id,
        decision: req.decision,
        lotId: d.lot_id,
        epc: d.epc,
        units: units.map((epc) => ({ epc, lotId: lots.get(epc) ?? null })),
        signedBy: d.printed_name,
        meaning: d.meaning,
        reason: d.reason,
        at: now,
      });
      return d;
    }, wallClock.now()),
  );
}

/**
 * What a disposition decides on: an excursion, or a cumulative rule reached by a lot's units (its lock key
 * `cumulative:<lot>:<rule>`, docs/domain.md "Cumulative rules"). A cumulative finding has one version: a
 * signed decision on it stands (more exposure later does not reopen it).
 */
async function dispositionSubject(
  trx: Transaction<DomainDatabase>,
  id: string,
): Promise<{ id: string; version: number; review_state: string; kind: LockCause }> {
  const x = await trx
    .selectFrom('excursions')
    .select(['id', 'version', 'review_state'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (x) return { ...x, kind: 'excursion' };
  // A lock rule's key (a cumulative rule of a lot, a rate alarm): decided per key, as an excursion is.
  const lock = await trx
    .selectFrom('locks')
    .select('cause')
    .where('excursion_id', '=', id)
    .where('cause', '!=', 'excursion')
    .limit(1)
    .executeTakeFirst();
  if (lock) return { id, version: 1, review_state: 'pending', kind: lock.cause as LockCause };
  throw new ColdtraceError('not_found', `excursion ${id} not found`);
}
