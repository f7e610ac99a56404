import { ColdtraceError } from '@coldtrace/shared';
import type { ReadingCursor } from '../store/queries/readings-during-stays.js';

/** The opaque `after` / `nextAfter` of a paged readings response: the last reading's (ts, gatewayId, seq). */
export const encodeCursor = (c: ReadingCursor): string =>
  Buffer.from(JSON.stringify([c.ts, c.gatewayId, c.seq])).toString('base64url');

/** Parses a cursor from `encodeCursor`; throws `invalid` naming the parameter otherwise. */
export function decodeCursor(s: string, param = 'after'): ReadingCursor {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      v.length === 3 &&
      Number.isSafeInteger(v[0]) &&
      typeof v[1] === 'string' &&
      Number.isSafeInteger(v[2])
    )
      return { ts: v[0], gatewayId: v[1], seq: v[2] };
  } catch {
    // fall through
  }
  throw new ColdtraceError('invalid', `${param}: not a cursor returned by this endpoint (nextAfter)`);
}
