import { type Clock, systemClock } from '@coldtrace/shared';
import {
  checkDispositionRequest,
  type DispositionRequest,
  decideDisposition,
} from '../domain/dispositions.js';
import { authenticateSigner } from '../domain/e-signature.js';
import type { SignatureVerifier } from '../domain/signature.js';
import { dispositionRepo } from '../store/disposition-repo.js';
import type { DispositionsTable } from '../store/schema.js';
import type { DomainEngine } from './domain-engine.js';

export type { DispositionRequest };

/**
 * Signs a disposition (docs/architecture.md "Disposition"): the request is checked and the signature
 * verified first (21 CFR 11.200(a): re-entered by its owner); then the decision, its lock changes, audit
 * entries and integration event are one derive transaction, serialised with recomputation and stamped with
 * the wall clock's time of signing (21 CFR 11.50(a)(2)), never the data clock's (docs/architecture.md "Time").
 */
export async function signDisposition(
  engine: DomainEngine,
  verify: SignatureVerifier,
  req: DispositionRequest,
  wallClock: Clock = systemClock,
): Promise<DispositionsTable> {
  checkDispositionRequest(req);
  const signer = await authenticateSigner(verify, req, 'sign dispositions');
  return engine.exclusive(() =>
    engine.derive(
      (trx, log, now) => decideDisposition(dispositionRepo(trx), log, now, req, signer),
      wallClock.now(),
    ),
  );
}
