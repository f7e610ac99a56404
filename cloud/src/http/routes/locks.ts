import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DomainServices } from '../domain-services.js';
import { lockView } from '../views.js';
import type { RouteDeps } from './deps.js';

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
        querystring: z.object({
          state: z.enum(['active', 'lifted', 'released', 'rejected']).optional(),
          excursionId: z.string().optional(),
          epc: z.string().optional(),
          lotId: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
        }),
      },
    },
    async (req) => (await domain.domainStore.listLocks(req.query)).map(lockView),
  );
};
