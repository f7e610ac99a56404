import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageLocks } from '../../store/queries/list-locks.js';
import type { DomainServices } from '../domain-services.js';
import { DEFAULT_PAGE, decodePageCursor, pageAnswer, pageParams, wantsPage } from '../list-page.js';
import { lockView } from '../views.js';
import type { RouteDeps } from './deps.js';

/** Rows of the array answer (no `limit`, no `cursor`). */
const ARRAY_ROWS = 10_000;

/** Locks: one row per (EPC, excursion); a unit is locked while any of its rows is 'active'. */
export const lockRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { domain },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/locks',
    {
      schema: {
        tags: ['locks'],
        description:
          'Locks in creation order, filtered. With `limit` or `cursor`: one page, `{ items, nextCursor }`; ' +
          `without either, the first ${ARRAY_ROWS} as an array.`,
        querystring: z.object({
          state: z.enum(['active', 'lifted', 'released', 'rejected']).optional(),
          excursionId: z.string().optional(),
          epc: z.string().optional(),
          lotId: z.string().optional(),
          cause: z.enum(['excursion', 'cumulative', 'rate_of_change']).optional(),
          ...pageParams(100_000),
        }),
      },
    },
    async (req) => {
      const q = req.query;
      const paged = wantsPage(q);
      const page = await pageLocks(domain.engine.db, {
        ...q,
        after: q.cursor === undefined ? undefined : decodePageCursor(q.cursor, ['n', 's', 's', 's']),
        limit: paged ? (q.limit ?? DEFAULT_PAGE) : ARRAY_ROWS,
      });
      const items = page.items.map(lockView);
      return paged ? pageAnswer(items, page.next) : items;
    },
  );
};
