import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { verifyAuditTrail } from '../../domain/audit-verify.js';
import type { DomainServices } from '../../domain/domain-services.js';
import { auditView } from '../../domain/views.js';
import type { RouteDeps } from './deps.js';

/** The hash-chained audit trail and its verification (DESIGN "Audit trail"). */
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
        querystring: z.object({
          entityType: z.string().optional(),
          entityId: z.string().optional(),
          afterSeq: z.coerce.number().int().min(0).optional(),
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
