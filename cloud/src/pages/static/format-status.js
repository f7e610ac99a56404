/** Text for a gateway's store-and-forward backlog (shared/src/status.ts backlogSchema). */
export function backlogText(b) {
  if (!b) return '—';
  const parts = [`${b.records} records`, `${Math.round(b.bytes / 1024)} KiB`];
  if (b.maxBytes) parts.push(`of ${Math.round(b.maxBytes / 1024)} KiB`);
  if (b.thinned) parts.push(`${b.thinned} thinned`);
  if (b.refused) parts.push(`${b.refused} refused`);
  return parts.join(', ');
}

/**
 * An excursion's state as a reviewer reads it: `closed` means the temperature is back in range, not that the
 * case is closed (that is the review state: decided).
 */
export function excursionStateText(state) {
  return (
    { closed: 'back in range', ongoing: 'ongoing', withdrawn: 'withdrawn (no longer found)' }[state] ?? state
  );
}

/** A scan station's direction (docs/barcode.md) as what happened to the unit there: "received", "picked". */
export function scanDirectionText(direction) {
  return (
    { receiving: 'received', putaway: 'put away', dispatch: 'dispatched', picking: 'picked' }[direction] ??
    direction
  );
}
