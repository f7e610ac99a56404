import { decodeEpc } from '@coldtrace/shared';

/** What the store holds of one EPC. */
export interface EpcFacts<C, L> {
  /** Its commissioning row, if commissioned. */
  commissioning: { lot_id: string } | undefined;
  /** Its custody intervals, by entry time. */
  custody: C[];
  /** Its locks, by creation time. */
  locks: L[];
  /** At least one movement of it was received. */
  moved: boolean;
}

/**
 * Everything known about one EPC (docs/architecture.md "Master data": an unknown EPC is tracked anyway):
 * its decoding, commissioning (or not), where it is (its open custody interval) and whether a lock holds
 * it or rejected it. Undefined when it was neither commissioned nor seen.
 */
export function epcSummary<
  C extends { left_at: number | null; location_id: string },
  L extends { state: string },
>(epc: string, f: EpcFacts<C, L>) {
  if (!f.commissioning && f.custody.length === 0 && !f.moved) return undefined;
  const current = f.custody.find((c) => c.left_at === null);
  return {
    epc,
    decoded: decodeEpc(epc),
    commissioned: Boolean(f.commissioning),
    lotId: f.commissioning?.lot_id ?? null,
    location: current?.location_id ?? null,
    locked: f.locks.some((l) => l.state === 'active'),
    rejected: f.locks.some((l) => l.state === 'rejected'),
    custody: f.custody,
    locks: f.locks,
  };
}
