import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SIGNATURE_MEANINGS } from '../../domain/signature.js';
import { signDisposition } from '../../engine/sign-disposition.js';
import type { DomainServices } from '../domain-services.js';
import { dispositionView } from '../views.js';
import type { RouteDeps } from './deps.js';
import { signingUserOf } from './signed-change.js';

const body = z
  .object({
    lotId: z.string().min(1).optional(),
    epc: z
      .string()
      .regex(/^[0-9A-Fa-f]{8,64}$/)
      .optional(),
    decision: z.enum(['release', 'reject']),
    reason: z.string().trim().min(1).max(2000),
    /** The e-signature: username and password re-entered for this signing (21 CFR 11.200(a)(1)). */
    username: z.string().min(1).max(200),
    password: z.string().min(1).max(1000),
  })
  .strict()
  .refine((b) => (b.lotId === undefined) !== (b.epc === undefined), {
    message: 'give exactly one of lotId or epc',
  });

/** Dispositions with electronic signature (docs/architecture.md "Disposition"). */
export const dispositionRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { domain, wallClock },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.post(
    '/excursions/:id/dispositions',
    {
      config: { roles: ['qa', 'admin'] },
      schema: {
        tags: ['dispositions'],
        description: `Release or reject a lot (or one unit) affected by the excursion, e-signed. Meanings: ${Object.values(SIGNATURE_MEANINGS).join(' | ')}`,
        params: z.object({ id: z.string().min(1).max(200) }),
        body,
      },
    },
    async (req, reply) => {
      const d = await signDisposition(
        domain.engine,
        domain.verifySignature,
        {
          excursionId: req.params.id,
          ...req.body,
          signedInUserId: signingUserOf(req, req.body.username),
        },
        wallClock,
      );
      domain.dispatcher?.kick();
      return reply.code(201).send(dispositionView(d));
    },
  );
  app.get(
    '/dispositions',
    {
      schema: {
        tags: ['dispositions'],
        querystring: z.object({ excursionId: z.string().optional(), lotId: z.string().optional() }),
      },
    },
    async (req) => (await domain.domainStore.listDispositions(req.query)).map(dispositionView),
  );
};
