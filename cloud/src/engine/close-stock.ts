import { type Clock, systemClock } from '@coldtrace/shared';
import { authenticateSigner, type SignatureInput } from '../domain/e-signature.js';
import type { SignatureVerifier } from '../domain/signature.js';
import { closeRejectedStock, type StockClosure, type StockClosureRequest } from '../domain/stock-closures.js';
import { stockClosureRepo } from '../store/stock-closure-repo.js';
import type { DomainEngine } from './domain-engine.js';

/**
 * Signs the closing record of rejected stock (domain/stock-closures.ts): the signature is verified first
 * (re-entered by its owner), then the record, its audit entry and its integration event are one derive
 * transaction stamped with the wall clock's time of signing.
 */
export async function closeStock(
  engine: DomainEngine,
  verify: SignatureVerifier,
  req: StockClosureRequest & SignatureInput,
  wallClock: Clock = systemClock,
): Promise<StockClosure> {
  const signer = await authenticateSigner(verify, req, 'sign dispositions');
  return engine.exclusive(() =>
    engine.derive(
      (trx, log, now) => closeRejectedStock(stockClosureRepo(trx), log, now, req, signer),
      wallClock.now(),
    ),
  );
}
