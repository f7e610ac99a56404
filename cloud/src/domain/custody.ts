/** A movement as custody needs it (a stored `movements` row). */
export interface CustodyMovement {
  gateway_id: string;
  seq: number;
  kind: string;
  from_location: string | null;
  to_location: string;
  /** `in` | `out` (a pass's or a scan's); a scan out ends custody at the station's location. */
  direction?: string | null;
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

/** A movement that changes custody: a portal pass, or a barcode scan of a serialised unit. */
const changesCustody = (m: CustodyMovement) => m.kind === 'pass' || m.kind === 'scan';

/** A scan taking the unit out of the station's location (dispatch, picking: docs/barcode.md). */
const leaves = (m: CustodyMovement) => m.kind === 'scan' && m.direction === 'out';

/**
 * docs/architecture.md "Custody": an EPC's custody intervals `[enteredAt, leftAt)` from its movements ordered
 * by event time; a pure function of the set of movements, so a late or out-of-order movement is handled by
 * rebuilding. Passes change custody (a presence observation is not a custody change), and so do barcode
 * scans (docs/barcode.md "Scans in the cloud"): a scan in (receiving, putaway) moves the unit to the station's
 * location like a pass; a scan out (dispatch, picking) ends its interval there, and the unit is nowhere
 * known until its next pass or scan. A move to the location the unit is already at changes nothing; moves
 * at the same instant keep the last in the order above (zero-length intervals are dropped). A pass whose
 * `from` differs from the current location still moves the unit: the portal saw it go to `to`.
 */
export function buildCustody(epc: string, movements: readonly CustodyMovement[]): CustodyInterval[] {
  const moves = movements.filter(changesCustody).sort(compareMovements);
  const out: CustodyInterval[] = [];
  for (const m of moves) {
    const cur = out[out.length - 1];
    const open = cur && cur.left_at === null ? cur : undefined;
    if (leaves(m)) {
      if (!open) continue;
      if (open.entered_at === m.ts) out.pop();
      else open.left_at = m.ts;
      continue;
    }
    if (open && open.location_id === m.to_location) continue;
    if (open) {
      if (open.entered_at === m.ts) {
        out.pop();
        const before = out[out.length - 1];
        if (before && before.location_id === m.to_location && before.left_at === m.ts) {
          before.left_at = null;
          continue;
        }
      } else open.left_at = m.ts;
    } else if (cur && cur.location_id === m.to_location && cur.left_at === m.ts) {
      cur.left_at = null;
      continue;
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
