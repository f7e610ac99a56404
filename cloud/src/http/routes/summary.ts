import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { summaryCounts } from '../../store/queries/summary-counts.js';
import type { DomainServices } from '../domain-services.js';
import type { RouteDeps } from './deps.js';

const count = z.number().int().min(0);
const summaryResponse = z.object({
  excursions: count.describe('every stored excursion'),
  excursionsPendingReview: count.describe('excursions not yet decided by QA'),
  ongoingExcursions: count,
  lockedUnits: count.describe('units with an active lock'),
  decisionsOutstanding: count.describe('active locks, each awaiting a QA disposition'),
  lotsWithLockedUnits: count,
  lockedLots: z
    .array(
      z.object({
        lotId: z.string(),
        gtin: z.string(),
        lotNumber: z.string(),
        lockedUnits: count,
        totalUnits: count,
        lockedSince: z.number().describe('when its oldest active lock was made (epoch ms)'),
      }),
    )
    .describe('the first `lots` lots with a locked unit, by id'),
  deadLetters: count,
  deadLettersNotReplayed: count,
  rejectedAwaitingClosure: count.describe(
    'units rejected by QA (EPC units and units without serial of held quantities), not yet recorded as destroyed or returned',
  ),
  releasesAwaitingSecondSignature: count.describe('release proposals awaiting their second QA signature'),
  heldUnits: count.describe(
    'units without serial held by excursions (quantity holds) that no QA decision covers yet',
  ),
  holdsOutstanding: count.describe(
    'quantity holds with such units, each awaiting a QA disposition on its lot',
  ),
});

/** `GET /summary`: the dashboard's figures, counted by the database (docs/architecture.md "Lists and paging"). */
export const summaryRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { domain },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/summary',
    {
      schema: {
        tags: ['excursions'],
        description:
          'Counts for the dashboard: excursions pending review and ongoing, locked units and outstanding decisions, ' +
          'lots with locked units (the first `lots` of them with locked / total units), dead letters.',
        querystring: z.object({ lots: z.coerce.number().int().min(0).max(500).default(50) }),
        response: { 200: summaryResponse },
      },
    },
    async (req) => summaryCounts(domain.engine.db, req.query.lots),
  );
};
