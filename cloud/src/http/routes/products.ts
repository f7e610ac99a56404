import { ColdtraceError, withLimitsRule } from '@coldtrace/shared';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cumulativeRulesSchema, parseStoredRules, serializeRules } from '../../domain/cumulative-rules.js';
import type { ProductSpec } from '../../domain/product-specs.js';
import type { SpecEffect } from '../../domain/spec-versions.js';
import { changeProductSpecification } from '../../store/product-master.js';
import { specHistory } from '../../store/spec-version-repo.js';
import type { DomainServices } from '../domain-services.js';
import { actorOf } from '../views.js';
import type { RouteDeps } from './deps.js';
import {
  effectiveFromField,
  signedChangeFields,
  signedVersionOf,
  versionView,
  versionViewOf,
} from './signed-change.js';

export const gtinSchema = z.string().regex(/^\d{14}$/, 'GTIN must be 14 digits (GTIN-14)');
const specificationFields = {
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
};
const productBody = withLimitsRule(
  z.object({ name: z.string().min(1).max(200), ...specificationFields }).strict(),
);
/**
 * A change of an existing product's specification: tolerance, budget and rules, a reason, the e-signature
 * and when it takes effect (data time, now or later; default now).
 */
const specificationBody = withLimitsRule(
  z
    .object({ ...specificationFields, ...signedChangeFields, effectiveFrom: effectiveFromField.optional() })
    .strict(),
);
/** A retroactive correction: the specification in force from `effectiveFrom` (in the past; null = from the beginning). */
const correctionBody = withLimitsRule(
  z
    .object({ ...specificationFields, ...signedChangeFields, effectiveFrom: effectiveFromField.nullable() })
    .strict(),
);
const specVersionView = versionView(
  z.object({
    minC: z.number(),
    maxC: z.number(),
    stabilityBudgetMs: z.number(),
    cumulativeRules: z.array(z.object({ kind: z.string(), thresholdC: z.number(), limitMs: z.number() })),
  }),
);

const specificationOf = (b: z.infer<z.ZodObject<typeof specificationFields>>) => ({
  min_c: b.minC,
  max_c: b.maxC,
  stability_budget_ms: b.stabilityBudgetMs,
  cumulative_rules: serializeRules(b.cumulativeRules),
});

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

/**
 * Products (GTIN, own tolerance, stability budget, cumulative rules): docs/architecture.md "Master data".
 * Operators create products and rename them; the specification of an existing product changes only
 * e-signed by qa or admin with a reason (EU GMP Annex 11 §10), and the re-evaluation of its units' rules
 * never lifts a lock.
 */
export const productRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { domain, clock, wallClock },
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
      schema: {
        tags: ['master data'],
        description:
          'Creates a product, or changes its name. The specification of an existing product (tolerance, ' +
          'stability budget, cumulative rules) changes only with PUT /products/:gtin/limits (e-signed): a ' +
          'different one here is refused (403), nothing changed.',
        params: z.object({ gtin: gtinSchema }),
        body: productBody,
      },
    },
    async (req) => {
      const b = req.body;
      const row = await ds.upsertProduct(
        { gtin: req.params.gtin, name: b.name, ...specificationOf(b) },
        actorOf(req),
        wallClock.now(),
        { keepSpecification: true },
      );
      // Units already commissioned to its lots are evaluated against the rules of a new product.
      domain.engine.markProduct(row.gtin);
      return view(row);
    },
  );
  const change = async (
    req: FastifyRequest,
    gtin: string,
    b: Omit<z.infer<typeof specificationBody>, 'effectiveFrom'>,
    kind: SpecEffect['kind'],
    /** Undefined: the data clock's now (an ordinary change's default). */
    requested: number | undefined,
  ) => {
    const deps = { verify: domain.verifySignature, wallClock, clock };
    const { signed, effect } = await signedVersionOf(req, b, kind, requested, deps);
    const row = await changeProductSpecification(
      ds.db,
      gtin,
      specificationOf(b),
      signed.signedAt,
      signed,
      effect,
    );
    // The units of its lots are re-evaluated against the changed versions.
    if (row) domain.engine.markProduct(gtin);
    return view((await ds.getProduct(gtin))!);
  };
  app.put(
    '/products/:gtin/limits',
    {
      config: { roles: ['qa', 'admin'] },
      schema: {
        tags: ['master data'],
        description:
          "Changes an existing product's tolerance, stability budget and cumulative rules (replaced: absent " +
          '= no rules), e-signed (username and password of the signed-in user re-entered) with a reason, as a ' +
          'new version in force from effectiveFrom (data time, epoch ms; default now; before now is refused ' +
          'with spec_effective_in_past): what applied before it stays. A lock a re-evaluation would remove ' +
          'stays locked pending review.',
        params: z.object({ gtin: gtinSchema }),
        body: specificationBody,
      },
    },
    async (req) => change(req, req.params.gtin, req.body, 'change', req.body.effectiveFrom),
  );
  app.post(
    '/products/:gtin/limits/corrections',
    {
      config: { roles: ['qa', 'admin'] },
      schema: {
        tags: ['master data'],
        description:
          "Retroactive correction of a product's specification, e-signed with its own meaning and a reason: " +
          'the versions in force from effectiveFrom (in the past; null = from the beginning) are replaced and ' +
          "its units' rules re-evaluated. A lock this would remove is not lifted but held pending review: " +
          'only a signed disposition releases the stock.',
        params: z.object({ gtin: gtinSchema }),
        body: correctionBody,
      },
    },
    async (req) =>
      change(
        req,
        req.params.gtin,
        req.body,
        'correction',
        req.body.effectiveFrom ?? Number.NEGATIVE_INFINITY,
      ),
  );
  app.get(
    '/products/:gtin/limits/versions',
    {
      schema: {
        tags: ['master data'],
        description:
          "Every version of a product's specification, oldest first: when each takes effect (effectiveFrom, " +
          'data time; null = from the beginning), how it came about (initial, change, correction), who made ' +
          'it and why, and which version replaced it (null while in force).',
        params: z.object({ gtin: gtinSchema }),
        response: { 200: z.array(specVersionView) },
      },
    },
    async (req) => {
      if (!(await ds.getProduct(req.params.gtin))) {
        throw new ColdtraceError('not_found', `product ${req.params.gtin} not found`);
      }
      return (await specHistory<ProductSpec>(ds.db, 'product', req.params.gtin)).map(versionViewOf);
    },
  );
};
