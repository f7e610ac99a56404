import { ColdtraceError } from '@coldtrace/shared';
import type { AuditInput } from './audit-chain.js';
import { masterDataAudit } from './master-data-audit.js';

export interface LotFields {
  id: string;
  gtin: string;
  lot_number: string;
  /** ISO date YYYY-MM-DD. */
  expiry: string;
}

export interface StoredLot extends LotFields {
  created_at: number;
  updated_at: number;
}

/** What the store read for a lot change, in its transaction. */
export interface LotFacts {
  /** The lot's product (GTIN) is registered. */
  productRegistered: boolean;
  before: StoredLot | undefined;
  /** Another lot with the same GTIN and lot number. */
  clashId: string | undefined;
  /** The lot has commissioned EPCs. */
  hasUnits: boolean;
}

/**
 * Creating or changing a lot (docs/architecture.md "Master data"): its product must be registered, a GTIN
 * and lot number name one lot, and a lot with commissioned EPCs keeps its GTIN (the units carry it).
 * Returns the row to store and its audit entry; throws `invalid` or `conflict` otherwise.
 */
export function lotChange(
  l: LotFields,
  facts: LotFacts,
  actor: string,
  now: number,
): { row: StoredLot; audit: AuditInput } {
  if (!facts.productRegistered) {
    throw new ColdtraceError('invalid', `lot ${l.id}: product GTIN ${l.gtin} is not registered`);
  }
  if (facts.clashId !== undefined) {
    throw new ColdtraceError(
      'conflict',
      `lot number ${l.lot_number} of GTIN ${l.gtin} already exists as lot ${facts.clashId}`,
    );
  }
  const { before } = facts;
  if (before && before.gtin !== l.gtin && facts.hasUnits) {
    throw new ColdtraceError('conflict', `lot ${l.id} has commissioned EPCs; its GTIN cannot change`);
  }
  const row = { ...l, created_at: before?.created_at ?? now, updated_at: now };
  return { row, audit: masterDataAudit('lot', l.id, before, row, actor) };
}
