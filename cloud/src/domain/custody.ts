/** A movement as custody needs it (a stored `movements` row). */
export interface CustodyMovement {
  gateway_id: string;
  seq: number;
  kind: string;
  from_location: string | null;
  to_location: string;
  ts: number;
}

export interface CustodyInterval {
  epc: string;
  location_id: string;
  entered_at: number;
  /** null = still there. */
  left_at: number | null;
  /** The movement that opened the interval. */
  gateway_id: string;
  seq: number;
}

/** Total order of movements that does not depend on arrival: event time, then a deterministic tie-break. */
export function compareMovements(a: CustodyMovement, b: CustodyMovement): number {
  return (
    a.ts - b.ts ||
    (a.to_location < b.to_location ? -1 : a.to_location > b.to_location ? 1 : 0) ||
    (a.gateway_id < b.gateway_id ? -1 : a.gateway_id > b.gateway_id ? 1 : 0) ||
    a.seq - b.seq
  );
}

/**
 * docs/architecture.md "Custody": an EPC's custody intervals `[enteredAt, leftAt)` from its movements ordered
 * by event time; a pure function of the set of movements, so a late or out-of-order movement is handled by
 * rebuilding. Only passes change custody (a presence observation is not a custody change); a pass to the
 * location the unit is already at changes nothing; passes at the same instant keep the last in the order
 * above (zero-length intervals are dropped). A pass whose `from` differs from the current location still
 * moves the unit: the portal saw it go to `to`.
 */
export function buildCustody(epc: string, movements: readonly CustodyMovement[]): CustodyInterval[] {
  const passes = movements.filter((m) => m.kind === 'pass').sort(compareMovements);
  const out: CustodyInterval[] = [];
  for (const m of passes) {
    const cur = out[out.length - 1];
    if (cur && cur.location_id === m.to_location) continue;
    if (cur) {
      if (cur.entered_at === m.ts) {
        out.pop();
        const before = out[out.length - 1];
        if (before && before.location_id === m.to_location) {
          before.left_at = null;
          continue;
        }
      } else cur.left_at = m.ts;
    }
    out.push({
      epc,
      location_id: m.to_location,
      entered_at: m.ts,
      left_at: null,
      gateway_id: m.gateway_id,
      seq: m.seq,
    });
  }
  return out;
}

/** Overlap of a custody interval with `[from, to)` (to null = open); null when they do not overlap. */
export function overlap(
  c: { entered_at: number; left_at: number | null },
  from: number,
  to: number | null,
): { from: number; to: number | null } | null {
  const start = Math.max(c.entered_at, from);
  const ends = [c.left_at, to].filter((x): x is number => x !== null);
  const end = ends.length ? Math.min(...ends) : null;
  if (end !== null && end <= start) return null;
  return { from: start, to: end };
}
