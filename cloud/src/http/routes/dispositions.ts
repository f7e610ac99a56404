import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SECOND_SIGNATURE_MEANING } from '../../domain/release-proposals.js';
import { SIGNATURE_MEANINGS } from '../../domain/signature.js';
import { approveReleaseProposal, signDecision } from '../../engine/sign-disposition.js';
import { listReleaseProposals } from '../../store/release-proposal-repo.js';
import type { DomainServices } from '../domain-services.js';
import { dispositionView, releaseProposalView } from '../views.js';
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
    /**
     * Why the stock may be released although a guard applies (past its stability budget, a cumulative rule
     * reached): required, at least MIN_JUSTIFICATION_CHARS characters, for such a release, which then waits
     * for a second QA signature (docs/domain.md "Two-person release").
     */
    justification: z.string().trim().max(4000).optional(),
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
      const signed = await signDecision(
        domain.engine,
        domain.verifySignature,
        {
          excursionId: req.params.id,
          ...req.body,
          signedInUserId: signingUserOf(req, req.body.username),
        },
        wallClock,
      );
      if (signed.kind === 'proposal')
        return reply.code(202).send({
          status: 'awaiting_second_signature',
          proposal: releaseProposalView(signed.proposal),
        });
      domain.dispatcher?.kick();
      return reply.code(201).send(dispositionView(signed.disposition));
    },
  );
  app.get(
    '/release-proposals',
    {
      schema: {
        tags: ['dispositions'],
        description: 'Releases awaiting (or given) their second QA signature, newest first.',
        querystring: z
          .object({
            state: z.enum(['pending', 'approved', 'superseded']).optional(),
            excursionId: z.string().max(200).optional(),
          })
          .strict(),
      },
    },
    async (req) => (await listReleaseProposals(domain.engine.db, req.query)).map(releaseProposalView),
  );
  app.post(
    '/release-proposals/:id/approve',
    {
      config: { roles: ['qa', 'admin'] },
      schema: {
        tags: ['dispositions'],
        description: `The second signature on a proposed release (two-person rule: another QA user than the proposer), e-signed; releases the stock. Meaning: ${SECOND_SIGNATURE_MEANING}`,
        params: z.object({ id: z.string().min(1).max(200) }),
        body: z
          .object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) })
          .strict(),
      },
    },
    async (req, reply) => {
      const r = await approveReleaseProposal(
        domain.engine,
        domain.verifySignature,
        {
          proposalId: req.params.id,
          ...req.body,
          signedInUserId: signingUserOf(req, req.body.username),
        },
        wallClock,
      );
      domain.dispatcher?.kick();
      return reply
        .code(201)
        .send({ proposal: releaseProposalView(r.proposal), disposition: dispositionView(r.disposition) });
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
