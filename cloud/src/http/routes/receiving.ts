import { ColdtraceError, idSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { receivingCheck } from '../../domain/receiving-check.js';
import { receivingCheckInput } from '../../store/queries/receiving-check.js';
import { unitView } from '../views.js';
import type { RouteDeps } from './deps.js';

/** The longest window one check reads: a delivery is checked within days, not over a location's history. */
export const RECEIVING_WINDOW_MAX_MS = 31 * 86_400_000;

const ms = z.coerce.number().int().min(0);

/** `GET /receiving-check` (docs/barcode.md "Receiving check"). */
export const receivingRoutes: FastifyPluginAsync<RouteDeps> = async (root, { store, clock }) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/receiving-check',
    {
      schema: {
        tags: ['scans'],
        description:
          'What arrived at `locationId` (scanned in, or through a portal) between `since` and `until` (default now), ' +
          'compared with what left `fromLocationId` in the same window: units missing (left, not arrived: where ' +
          'they are now), unexpected (arrived, not shipped from there: where they came from), the number matched, ' +
          'and units without serial counted per lot. Window at most 31 days.',
        querystring: z.object({
          locationId: idSchema,
          fromLocationId: idSchema,
          since: ms,
          until: ms.optional(),
        }),
      },
    },
    async (req) => {
      const q = req.query;
      const until = q.until ?? clock.now();
      if (until <= q.since) throw new ColdtraceError('invalid', 'until must be after since');
      if (until - q.since > RECEIVING_WINDOW_MAX_MS)
        throw new ColdtraceError('invalid', 'the window (until − since) is at most 31 days');
      if (q.locationId === q.fromLocationId)
        throw new ColdtraceError('invalid', 'fromLocationId must be another location than locationId');
      for (const id of [q.locationId, q.fromLocationId])
        if (!(await store.getLocation(id))) throw new ColdtraceError('not_found', `location ${id} not found`);
      const window = { locationId: q.locationId, fromLocationId: q.fromLocationId, since: q.since, until };
      const check = receivingCheck(await receivingCheckInput(store.db, window));
      return {
        ...window,
        matched: check.matched,
        missing: check.missing.map((u) => ({
          ...unitView(u.epc),
          lotId: u.lotId,
          leftAt: u.leftAt,
          nowAt: u.nowAt,
        })),
        unexpected: check.unexpected.map((u) => ({
          ...unitView(u.epc),
          lotId: u.lotId,
          receivedAt: u.receivedAt,
          via: u.via,
          cameFrom: u.cameFrom,
        })),
        quantities: check.quantities,
      };
    },
  );
};
