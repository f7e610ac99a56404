/**
 * Receiving check (docs/barcode.md "Receiving check"): what arrived at a location, by scan or through a
 * portal, compared with what left the location it was shipped from, in one time window. Pure: the store
 * reads the custody intervals; this decides which units are missing, unexpected or matched.
 */

/** A unit whose stay at the shipping location ended in the window. */
export interface ShippedUnit {
  epc: string;
  lotId: string | null;
  leftAt: number;
  /** Where custody has it now (an open interval), null when it is nowhere known (scanned out, not seen since). */
  nowAt: string | null;
}

/** A unit whose stay at the receiving location began in the window. */
export interface ReceivedUnit {
  epc: string;
  lotId: string | null;
  receivedAt: number;
  /** The scan station or portal that recorded its arrival, and how (`scan` or `pass`). */
  via: { kind: string; id: string } | null;
  /** The location of its previous stay, null when it had none. */
  cameFrom: string | null;
}

/** Units counted without a serial (quantity custody), per lot. */
export type LotCounts = Readonly<Record<string, number>>;

export interface ReceivingCheckInput {
  shipped: readonly ShippedUnit[];
  received: readonly ReceivedUnit[];
  /** Scans without a serial out of the shipping location / into the receiving location, per lot. */
  quantities: { shipped: LotCounts; received: LotCounts };
}

export interface ReceivingCheck {
  /** Shipped and received: counted once per unit. */
  matched: number;
  /** Shipped, not received (first departure of each unit in the window). */
  missing: ShippedUnit[];
  /** Received, not shipped from there (first arrival of each unit in the window). */
  unexpected: ReceivedUnit[];
  /** Per lot with a count on either side: shipped, received, and received − shipped. */
  quantities: Array<{ lotId: string; shipped: number; received: number; difference: number }>;
}

function firstBy<T extends { epc: string }>(rows: readonly T[], time: (r: T) => number): Map<string, T> {
  const out = new Map<string, T>();
  for (const r of rows) {
    const seen = out.get(r.epc);
    if (!seen || time(r) < time(seen)) out.set(r.epc, r);
  }
  return out;
}

export function receivingCheck(input: ReceivingCheckInput): ReceivingCheck {
  // A unit shipped or received twice in the window (back and forth) is one unit.
  const shipped = firstBy(input.shipped, (u) => u.leftAt);
  const received = firstBy(input.received, (u) => u.receivedAt);
  const byEpc = (a: { epc: string }, b: { epc: string }) => (a.epc < b.epc ? -1 : a.epc > b.epc ? 1 : 0);
  const missing = [...shipped.values()].filter((u) => !received.has(u.epc)).sort(byEpc);
  const unexpected = [...received.values()].filter((u) => !shipped.has(u.epc)).sort(byEpc);
  const lots = [
    ...new Set([...Object.keys(input.quantities.shipped), ...Object.keys(input.quantities.received)]),
  ];
  return {
    matched: shipped.size - missing.length,
    missing,
    unexpected,
    quantities: lots.sort().map((lotId) => {
      const s = input.quantities.shipped[lotId] ?? 0;
      const r = input.quantities.received[lotId] ?? 0;
      return { lotId, shipped: s, received: r, difference: r - s };
    }),
  };
}
