import type { PeekJsonResult } from '../buffer/record-buffer.js';

/**
 * Is a readings page live (docs/architecture.md "Live readings"): no thinned range (thinning happens only
 * to a full buffer, a backlog) and every reading taken within `windowMs` before `now` on the gateway's
 * clock. Such a batch goes on the `readings-live` topic, a backlog on `readings`. `windowMs` 0 sends
 * everything on `readings`. Reads each record's stored wire JSON; stops at the first old one, so a
 * backlog page costs one parse.
 */
export function isLiveBatch(
  page: Pick<PeekJsonResult, 'records' | 'thinned'>,
  now: number,
  windowMs: number,
) {
  if (windowMs <= 0 || page.thinned.length > 0 || page.records.length === 0) return false;
  const since = now - windowMs;
  for (const text of page.records) {
    if (!((JSON.parse(text) as { ts: number }).ts >= since)) return false;
  }
  return true;
}
