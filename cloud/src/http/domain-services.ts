import { noSigners, type SignatureVerifier } from '../domain/signature.js';
import type { DomainEngine } from '../engine/domain-engine.js';
import type { OutboxDispatcher } from '../integrations/outbox-dispatcher.js';
import { DomainStore } from '../store/domain-store.js';

/** What the domain routes need: the engine, the master-data store and the e-signature verifier. */
export interface DomainServices {
  engine: DomainEngine;
  domainStore: DomainStore;
  verifySignature: SignatureVerifier;
  dispatcher?: OutboxDispatcher | undefined;
}

export function createDomainServices(
  engine: DomainEngine,
  verifySignature: SignatureVerifier = noSigners,
  dispatcher?: OutboxDispatcher,
): DomainServices {
  return { engine, domainStore: new DomainStore(engine.store), verifySignature, dispatcher };
}
