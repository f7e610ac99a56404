import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CLOSURE_MEANINGS, type StockClosure } from '../../domain/stock-closures.js';
import { closeStock } from '../../engine/close-stock.js';
import { listStockClosures, rejectedAwaitingClosure } from '../../store/stock-closure-repo.js';
import type { DomainServices } from '../domain-services.js';
import type { RouteDeps } from './deps.js';
import { signingUserOf } from './signed-change.js';

const closureBody = z
  .object({
    lotId: z.string().min(1).max(200).optional(),
    epc: z
      .string()
      .regex(/^[0-9A-Fa-f]{8,64}$/)
      .optional(),
    outcome: z.enum(['destroyed', 'returned']),
    /** The destruction certificate, or the return's RMA or shipment reference. */
    reference: z.string().trim().min(1).max(200),
    reason: z.string().trim().min(1).max(2000),
    username: z.string().min(1).max(200),
    password: z.string().min(1).max(1000),
  })
  .strict()
  .refine((b) => (b.lotId === undefined) !== (b.epc === undefined), {
    message: 'give exactly one of lotId or epc',
  });

function closureView(c: StockClosure) {
  return {
    id: c.id,
    scope: c.scope,
    lotId: c.lot_id,
    epc: c.epc,
    outcome: c.outcome,
    reference: c.reference,
    reason: c.reason,
    /** All units closed: EPC units and units without serial of held quantities. */
    units: c.units,
    heldUnits: c.held.reduce((n, h) => n + h.units, 0),
    /** Rejected held quantities closed (units without serial, per location and excursion). */
    held: c.held,
    signature: {
      signerId: c.signer_id,
      username: c.signer_username,
      printedName: c.printed_name,
      signedAt: c.signed_at,
      meaning: c.meaning,
    },
    manifestHash: c.manifest_hash,
  };
}

/** Rejected stock followed to its end (docs/domain.md "Rejected stock to its end"). */
export const rejectedStockRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { domain, wallClock },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/rejected-stock',
    {
      schema: {
        tags: ['dispositions'],
        description:
          'Rejected stock awaiting destruction or return, per lot: EPC units (how many, where they are now), held quantities of units without serial (heldUnits, held: per location and excursion), when last rejected.',
      },
    },
    async () => rejectedAwaitingClosure(domain.engine.db),
  );
  app.get(
    '/stock-closures',
    {
      schema: {
        tags: ['dispositions'],
        description: 'Signed closing records of rejected stock (destroyed or returned), newest first.',
        querystring: z.object({ lotId: z.string().min(1).max(200).optional() }).strict(),
      },
    },
    async (req) => (await listStockClosures(domain.engine.db, req.query)).map(closureView),
  );
  app.post(
    '/stock-closures',
    {
      config: { roles: ['qa', 'admin'] },
      schema: {
        tags: ['dispositions'],
        description: `Records, e-signed, that the rejected units of a lot (or one unit) were destroyed or returned to the supplier; a lot's record also closes its rejected held quantities (units without serial). Meanings: ${Object.values(CLOSURE_MEANINGS).join(' | ')}`,
        body: closureBody,
      },
    },
    async (req, reply) => {
      const c = await closeStock(
        domain.engine,
        domain.verifySignature,
        { ...req.body, signedInUserId: signingUserOf(req, req.body.username) },
        wallClock,
      );
      domain.dispatcher?.kick();
      return reply.code(201).send(closureView(c));
    },
  );
};
