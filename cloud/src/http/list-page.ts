import { ColdtraceError } from '@coldtrace/shared';
import { z } from 'zod';
import type { KeyValues } from '../store/queries/keyset.js';

/** Rows per page when `cursor` is given without `limit`. */
export const DEFAULT_PAGE = 100;

/**
 * The paging parameters of a list endpoint (docs/architecture.md "Lists and paging"): with `limit` or
 * `cursor` the answer is one page, `{ items, nextCursor }`; without either, the array as before.
 */
export const pageParams = (max: number) => ({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .optional()
    .describe(`rows per page (1–${max}); answers { items, nextCursor }`),
  cursor: z.string().min(1).max(1000).optional().describe('`nextCursor` of the previous page'),
});

/** The opaque cursor of a page: its last row's key, base64url JSON. */
export const encodePageCursor = (key: KeyValues): string =>
  Buffer.from(JSON.stringify(key)).toString('base64url');

/**
 * Parses a cursor from `encodePageCursor` whose key has the types `shape` names ('s' string, 'n' safe
 * integer); throws `invalid` naming the parameter otherwise.
 */
export function decodePageCursor(s: string, shape: ReadonlyArray<'s' | 'n'>): KeyValues {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      v.length === shape.length &&
      v.every((x, i) => (shape[i] === 's' ? typeof x === 'string' : Number.isSafeInteger(x)))
    )
      return v as KeyValues;
  } catch {
    // fall through
  }
  throw new ColdtraceError('invalid', 'cursor: not a cursor returned by this endpoint (nextCursor)');
}

/** Whether the request asks for a page (`limit` or `cursor` given). */
export const wantsPage = (q: { limit?: number | undefined; cursor?: string | undefined }): boolean =>
  q.limit !== undefined || q.cursor !== undefined;

/** A page answer from a query's page. */
export const pageAnswer = <T>(items: T[], next: KeyValues | null) => ({
  items,
  nextCursor: next === null ? null : encodePageCursor(next),
});

const ITEMS = '\u0000items\u0000';
/** `JSON.stringify(pageAnswer(items, next))` for the items' JSON text `itemsJson` (`[…]`). */
export const pageAnswerJson = (itemsJson: string, next: KeyValues | null): string =>
  JSON.stringify(pageAnswer(ITEMS as never, next)).replace(JSON.stringify(ITEMS), () => itemsJson);
