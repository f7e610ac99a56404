import { ColdtraceError } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cumulativeRulesSchema, parseStoredRules, serializeRules } from '../../domain/cumulative-rules.js';
import type { DomainServices } from '../../domain/domain-services.js';
import { actorOf } from '../../domain/views.js';
import type { RouteDeps } from './deps.js';

export const gtinSchema = z.string().regex(/^\d{14}$/, 'GTIN must be 14 digits (GTIN-14)');
const productBody = z
  .object({
    name: z.string().min(1).max(200),
    minC: z.number().finite(),
    maxC: z.number().finite(),
    /** Total time the product may spend outside its tolerance over its life. */
    stabilityBudgetMs: z.number().int().min(0),
    /**
     * WHO PQS-style cumulative rules, e.g. `[{ kind: 'above', thresholdC: 8, limitMs: 36000000 }]`: a unit
     * that spends `limitMs` in total above (below) `thresholdC` across its custody is locked pending QA.
     * PUT replaces the product: absent = no rules.
     */
    cumulativeRules: cumulativeRulesSchema.default([]),
  })
  .strict()
  .refine((p) => p.minC < p.maxC, { message: 'minC must be below maxC', path: ['maxC'] });

const view = (p: {
  gtin: string;
  name: string;
  min_c: number;
  max_c: number;
  stability_budget_ms: number;
  cumulative_rules: string;
}) => ({
  gtin: p.gtin,
  name: p.name,
  minC: p.min_c,
  maxC: p.max_c,
  stabilityBudgetMs: p.stability_budget_ms,
  cumulativeRules: parseStoredRules(p.gtin, p.cumulative_rules),
});

/** Products (GTIN, own tolerance, stability budget): docs/architecture.md "Master data". */
export const productRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { domain, wallClock },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const ds = domain.domainStore;
  app.get('/products', { schema: { tags: ['master data'] } }, async () =>
    (await ds.listProducts()).map(view),
  );
  app.get(
    '/products/:gtin',
    { schema: { tags: ['master data'], params: z.object({ gtin: gtinSchema }) } },
    async (req) => {
      const p = await ds.getProduct(req.params.gtin);
      if (!p) throw new ColdtraceError('not_found', `product ${req.params.gtin} not found`);
      return view(p);
    },
  );
  app.put(
    '/products/:gtin',
    {
      config: { roles: ['operator', 'admin'] },
      schema: { tags: ['master data'], params: z.object({ gtin: gtinSchema }), body: productBody },
    },
    async (req) => {
      const b = req.body;
      const row = await ds.upsertProduct(
        {
          gtin: req.params.gtin,
          name: b.name,
          min_c: b.minC,
          max_c: b.maxC,
          stability_budget_ms: b.stabilityBudgetMs,
          cumulative_rules: serializeRules(b.cumulativeRules),
        },
        actorOf(req),
        wallClock.now(),
      );
      // The units of its lots are re-evaluated against the (possibly changed) rules.
      domain.cumulative?.markProduct(row.gtin);
      return view(row);
    },
  );
};
