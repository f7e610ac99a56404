/** Text for a gateway's store-and-forward backlog (shared/src/status.ts backlogSchema). */
export function backlogText(b) {
  if (!b) return '—';
  const parts = [`${b.records} records`, `${Math.round(b.bytes / 1024)} KiB`];
  if (b.maxBytes) parts.push(`of ${Math.round(b.maxBytes / 1024)} KiB`);
  if (b.thinned) parts.push(`${b.thinned} thinned`);
  if (b.refused) parts.push(`${b.refused} refused`);
  return parts.join(', ');
}
