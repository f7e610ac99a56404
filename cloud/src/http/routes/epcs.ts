import { ColdtraceError } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DomainServices } from '../domain-services.js';
import { lockView } from '../views.js';
import type { RouteDeps } from './deps.js';

/** EPCs: commissioned or not (an unknown EPC is tracked anyway), custody and locks. */
export const epcRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { domain },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const ds = domain.domainStore;
  app.get(
    '/epcs',
    {
      schema: {
        tags: ['epcs'],
        querystring: z.object({
          uncommissioned: z.enum(['true', 'false']).optional(),
          lotId: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(100_000).default(1000),
        }),
      },
    },
    async (req) =>
      ds.listEpcs({
        uncommissioned: req.query.uncommissioned === 'true',
        lotId: req.query.lotId,
        limit: req.query.limit,
      }),
  );
  app.get(
    '/epcs/:epc',
    {
      schema: {
        tags: ['epcs'],
        params: z.object({ epc: z.string().regex(/^[0-9A-Fa-f]{8,64}$/, 'EPC must be hex') }),
      },
    },
    async (req) => {
      const v = await ds.epcView(req.params.epc);
      if (!v)
        throw new ColdtraceError('not_found', `EPC ${req.params.epc} has never been seen or commissioned`);
      return {
        epc: v.epc,
        decoded: v.decoded,
        commissioned: v.commissioned,
        lotId: v.lotId,
        location: v.location,
        locked: v.locked,
        rejected: v.rejected,
        custody: v.custody.map((c) => ({
          locationId: c.location_id,
          enteredAt: c.entered_at,
          leftAt: c.left_at,
          gatewayId: c.gateway_id,
          seq: c.seq,
        })),
        locks: v.locks.map(lockView),
      };
    },
  );
};
