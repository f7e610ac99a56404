import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { verifyAuditTrail } from '../../store/audit-trail.js';
import type { DomainServices } from '../domain-services.js';
import { auditView } from '../views.js';
import type { RouteDeps } from './deps.js';

/** The hash-chained audit trail and its verification (docs/architecture.md "Audit trail"). */
export const auditRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { domain },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        description:
          'Audit entries by sequence number: oldest first (`order=asc`, page with `afterSeq`) or newest first (`order=desc`, page with `beforeSeq`).',
        querystring: z.object({
          entityType: z.string().optional(),
          entityId: z.string().optional(),
          afterSeq: z.coerce.number().int().min(0).optional().describe('only entries with a larger seq'),
          beforeSeq: z.coerce.number().int().min(1).optional().describe('only entries with a smaller seq'),
          order: z.enum(['asc', 'desc']).default('asc'),
          limit: z.coerce.number().int().min(1).max(10_000).default(1000),
        }),
      },
    },
    async (req) => (await domain.domainStore.listAudit(req.query)).map(auditView),
  );
  app.get(
    '/audit/verify',
    {
      config: { roles: ['qa', 'admin'] },
      schema: { tags: ['audit'], description: 'Recomputes the hash chain; reports the first broken entry.' },
    },
    async () => verifyAuditTrail(domain.engine.db),
  );
};
