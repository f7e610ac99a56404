import { randomUUID } from 'node:crypto';
import { ColdtraceError } from '@coldtrace/shared';
import type { ChangeLog } from './exposure.js';
import type { Signer } from './signature.js';
import { sealManifest } from './signature-manifest.js';

export type ClosureOutcome = 'destroyed' | 'returned';

/** 21 CFR 11.50(a)(3): what the signer of a closing record confirms. */
export const CLOSURE_MEANINGS: Record<ClosureOutcome, string> = {
  destroyed:
    'Destruction recorded: I confirm that this rejected stock was destroyed as the reference documents; it no longer exists.',
  returned:
    'Return recorded: I confirm that this rejected stock was shipped back to its supplier as the reference documents.',
};

/** A signed closing record of rejected stock (migration 0022). */
export interface StockClosureRow {
  id: string;
  scope: string;
  lot_id: string | null;
  epc: string | null;
  outcome: string;
  /** The destruction certificate or the return's shipping or RMA reference. */
  reference: string;
  reason: string;
  /** Units closed: the EPC units plus the units of the held quantities (stock_closure_holds). */
  units: number;
  signer_id: string;
  signer_username: string;
  printed_name: string;
  meaning: string;
  signed_at: number;
  manifest_json: string;
  manifest_hash: string;
}

export interface StockClosureRequest {
  /** Exactly one of lotId / epc. */
  lotId?: string | undefined;
  epc?: string | undefined;
  outcome: ClosureOutcome;
  reference: string;
  reason: string;
}

/**
 * A rejected held quantity a closing record closed (`stock_closure_holds`, 0030): units without serial of
 * a lot held at a location by an excursion (quantity_holds, 0027) that a signed disposition rejected.
 */
export interface StockClosureHoldRow {
  closure_id: string;
  lot_id: string;
  location_id: string;
  excursion_id: string;
  /** The rejecting disposition the closed units were decided by. */
  disposition_id: string | null;
  units: number;
}

/** A held quantity as a closing record lists it. */
export interface ClosedHeldQuantity {
  locationId: string;
  excursionId: string;
  units: number;
}

/** A closing record with the held quantities it closed. */
export type StockClosure = StockClosureRow & { held: ClosedHeldQuantity[] };

/** A rejected held quantity awaiting its end: the units its rejection covered that no record closed. */
export interface OpenHeldQuantity {
  lotId: string;
  locationId: string;
  excursionId: string;
  dispositionId: string | null;
  units: number;
}

/** What closing rejected stock reads and writes in its transaction (the store implements it). */
export interface StockClosureRepo {
  /** Units of the lot (or the one unit) rejected by a signed disposition and not closed yet. */
  openRejected(q: {
    lotId?: string | undefined;
    epc?: string | undefined;
  }): Promise<Array<{ epc: string; lotId: string | null }>>;
  /** The lot's rejected held quantities with units not closed yet (docs/barcode.md "Quantity custody"). */
  openRejectedHolds(lotId: string): Promise<OpenHeldQuantity[]>;
  insert(
    c: StockClosureRow,
    units: ReadonlyArray<{ epc: string; lotId: string | null }>,
    held: readonly OpenHeldQuantity[],
  ): Promise<void>;
}

/**
 * Rejected stock followed to its end (docs/domain.md "Rejected stock to its end"): a QA user records, with an
 * e-signature, that the rejected units of a lot (or one unit) were destroyed or returned to the supplier,
 * with the reference that documents it. Only units a signed disposition rejected and that are not closed
 * yet are closed; each is closed once. A lot's record also closes its rejected held quantities (units
 * without serial, held per location and excursion: quantity-holds.ts), each rejected unit of a hold once.
 * The record carries its manifest (21 CFR 11.70), goes on the audit trail and to ERP/WMS as a
 * `stock_closed` event (the EPCIS export shows it as `destroying`/`destroyed` or a `shipping`/`returned`
 * event).
 */
export async function closeRejectedStock(
  repo: StockClosureRepo,
  log: ChangeLog,
  now: number,
  req: StockClosureRequest,
  signer: Signer,
): Promise<StockClosure> {
  if ((req.lotId === undefined) === (req.epc === undefined))
    throw new ColdtraceError('invalid', 'give exactly one of lotId or epc');
  if (!req.reference.trim())
    throw new ColdtraceError('invalid', 'a reference (certificate, RMA, shipment) is required');
  if (!req.reason.trim()) throw new ColdtraceError('invalid', 'a reason is required');
  const epc = req.epc?.toUpperCase();
  const what = req.lotId !== undefined ? `lot ${req.lotId}` : `EPC ${epc}`;
  const units = (await repo.openRejected({ lotId: req.lotId, epc })).sort((a, b) => (a.epc < b.epc ? -1 : 1));
  // Held quantities have no EPC: only a lot's record closes them.
  const held = (req.lotId !== undefined ? await repo.openRejectedHolds(req.lotId) : [])
    .filter((h) => h.units > 0)
    .sort((a, b) => cmp(a.locationId, b.locationId) || cmp(a.excursionId, b.excursionId));
  if (units.length === 0 && held.length === 0)
    throw new ColdtraceError('conflict', `${what} has no rejected units awaiting destruction or return`);
  const heldUnits = held.reduce((n, h) => n + h.units, 0);
  const heldView: ClosedHeldQuantity[] = held.map((h) => ({
    locationId: h.locationId,
    excursionId: h.excursionId,
    units: h.units,
  }));
  const meaning = CLOSURE_MEANINGS[req.outcome];
  const sealed = sealManifest({
    v: 1,
    kind: 'stock-closure',
    outcome: req.outcome,
    meaning,
    reference: req.reference.trim(),
    reason: req.reason,
    scope: {
      type: req.lotId !== undefined ? 'lot' : 'epc',
      lotId: req.lotId ?? null,
      epc: epc ?? null,
      units: units.map((u) => u.epc),
      ...(held.length > 0 ? { held: heldView } : {}),
    },
    signer: { userId: signer.userId, username: signer.username, printedName: signer.printedName },
    signedAt: now,
  });
  const row: StockClosureRow = {
    id: randomUUID(),
    scope: req.lotId !== undefined ? 'lot' : 'epc',
    lot_id: req.lotId ?? null,
    epc: epc ?? null,
    outcome: req.outcome,
    reference: req.reference.trim(),
    reason: req.reason,
    units: units.length + heldUnits,
    signer_id: signer.userId,
    signer_username: signer.username,
    printed_name: signer.printedName,
    meaning,
    signed_at: now,
    manifest_json: sealed.canonical,
    manifest_hash: sealed.hash,
  };
  await repo.insert(row, units, held);
  log.audit.push({
    actor: signer.username,
    action: `stock.${req.outcome}`,
    entityType: 'stock-closure',
    entityId: row.id,
    after: {
      lotId: row.lot_id,
      epc: row.epc,
      outcome: row.outcome,
      reference: row.reference,
      units: units.map((u) => u.epc),
      ...(held.length > 0 ? { held: heldView } : {}),
      signature: { signerId: signer.userId, printedName: signer.printedName, signedAt: now, meaning },
      manifestHash: row.manifest_hash,
    },
    reason: req.reason,
  });
  log.extraEvents.push({
    type: 'stock_closed',
    closureId: row.id,
    outcome: req.outcome,
    reference: row.reference,
    lotId: row.lot_id,
    epc: row.epc,
    units: units.map((u) => ({ epc: u.epc, lotId: u.lotId })),
    ...(held.length > 0 ? { quantities: held.map(({ dispositionId: _d, ...q }) => q) } : {}),
    signedBy: signer.printedName,
    meaning,
    reason: req.reason,
    at: now,
  });
  return { ...row, held: heldView };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
