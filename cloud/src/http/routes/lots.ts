import { ColdtraceError, idSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LotAssessmentCache } from '../../store/lot-assessment-cache.js';
import { pageLots } from '../../store/queries/list-lots.js';
import { lotUnitCounts } from '../../store/queries/lot-unit-counts.js';
import type { DomainServices } from '../domain-services.js';
import { DEFAULT_PAGE, decodePageCursor, pageAnswer, pageParams, wantsPage } from '../list-page.js';
import { actorOf, dispositionView, lockView } from '../views.js';
import type { RouteDeps } from './deps.js';
import { lotTraceRoutes } from './lot-trace.js';
import { gtinSchema } from './products.js';

const lotBody = z
  .object({
    gtin: gtinSchema,
    lotNumber: z.string().min(1).max(20),
    expiry: z.iso.date('expiry must be an ISO date YYYY-MM-DD'),
  })
  .strict();

const epcHex = z.string().regex(/^[0-9A-Fa-f]{8,64}$/, 'EPC must be 8–64 hex digits');

/** Lots, EPC commissioning, and the lot view (locked/total, stability assessment, where units are). */
export const lotRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (root, opts) => {
  const { domain, clock, wallClock } = opts;
  const app = root.withTypeProvider<ZodTypeProvider>();
  // Temperature across custody and trace/recall (lot-trace.ts), under this plugin's prefix.
  await root.register(lotTraceRoutes, {
    store: opts.store,
    evaluator: opts.evaluator,
    clock,
    wallClock,
    domain,
  });
  const ds = domain.domainStore;
  const db = domain.engine.db;
  // Checked against the store on every use (store/lot-assessment-cache.ts): valid across processes.
  const assessments = new LotAssessmentCache(db);

  app.get(
    '/lots',
    {
      schema: {
        tags: ['lots'],
        description:
          'Lots by id with their units (total, and how many are locked / released / rejected, as `GET /lots/{id}` ' +
          'counts them). With `limit` or `cursor`: one page, `{ items, nextCursor }`; without either, every lot (filtered) ' +
          'as an array.',
        querystring: z.object({
          gtin: gtinSchema.optional().describe('the lots of this product'),
          hasLocks: z
            .enum(['true', 'false'])
            .optional()
            .describe('lots with (true) or without (false) a locked unit'),
          ...pageParams(500),
        }),
      },
    },
    async (req) => {
      const q = req.query;
      const paged = wantsPage(q);
      const page = await pageLots(db, {
        gtin: q.gtin,
        hasLocks: q.hasLocks === undefined ? undefined : q.hasLocks === 'true',
        after: q.cursor === undefined ? undefined : decodePageCursor(q.cursor, ['s']),
        // The array answer (no paging asked) keeps every lot, as before paging existed.
        limit: paged ? (q.limit ?? DEFAULT_PAGE) : 1_000_000_000,
      });
      // The list shows unit counts only: counted by grouped queries, not a stability assessment per lot.
      const counts = await lotUnitCounts(
        db,
        page.items.map((l) => l.id),
      );
      const items = page.items.map((l) => ({
        id: l.id,
        gtin: l.gtin,
        lotNumber: l.lot_number,
        expiry: l.expiry,
        units: counts.get(l.id)!,
      }));
      return paged ? pageAnswer(items, page.next) : items;
    },
  );

  app.get('/lots/:id', { schema: { tags: ['lots'], params: z.object({ id: idSchema }) } }, async (req) => {
    const l = await ds.getLot(req.params.id);
    if (!l) throw new ColdtraceError('not_found', `lot ${req.params.id} not found`);
    // docs/domain.md "Lot assessment": `mktC` is over the lot's excursions, `custodyMktC` over its custody so far.
    const assessment = (await assessments.assess(l.id))!;
    const dispositions = await ds.listDispositions({ lotId: l.id });
    return {
      id: l.id,
      lotNumber: l.lot_number,
      expiry: l.expiry,
      ...assessment,
      dispositions: dispositions.map(dispositionView),
    };
  });

  app.put(
    '/lots/:id',
    {
      config: { roles: ['operator', 'admin'] },
      schema: { tags: ['lots'], params: z.object({ id: idSchema }), body: lotBody },
    },
    async (req) => {
      const b = req.body;
      const row = await ds.upsertLot(
        { id: req.params.id, gtin: b.gtin, lot_number: b.lotNumber, expiry: b.expiry },
        actorOf(req),
        wallClock.now(),
      );
      return { id: row.id, gtin: row.gtin, lotNumber: row.lot_number, expiry: row.expiry };
    },
  );

  app.post(
    '/lots/:id/epcs',
    {
      config: { roles: ['operator', 'admin'] },
      schema: {
        tags: ['lots'],
        description:
          'Commissions EPCs (hex) to the lot. Their custody so far is kept; excursion locks already applied to ' +
          "them (units are locked whether commissioned or not) and now count for the lot; the product's " +
          'cumulative rules are re-evaluated over their custody.',
        params: z.object({ id: idSchema }),
        body: z.object({ epcs: z.array(epcHex).min(1).max(10_000) }).strict(),
      },
    },
    async (req) => {
      const r = await ds.commission(req.params.id, req.body.epcs, actorOf(req), wallClock.now());
      // Their custody so far now counts against the lot's product's cumulative rules.
      domain.engine.markEpcs(req.body.epcs.map((e) => e.toUpperCase()));
      return r;
    },
  );

  app.get(
    '/lots/:id/units',
    { schema: { tags: ['lots'], params: z.object({ id: idSchema }) } },
    async (req) => {
      const l = await ds.getLot(req.params.id);
      if (!l) throw new ColdtraceError('not_found', `lot ${req.params.id} not found`);
      const epcs = (await ds.listEpcs({ lotId: l.id, limit: 100_000 })).map((e) => e.epc);
      const where = await ds.currentLocations(epcs);
      const locks = await ds.listLocks({ lotId: l.id });
      return epcs.map((epc) => {
        const mine = locks.filter((k) => k.epc === epc);
        return {
          epc,
          location: where.get(epc) ?? null,
          locked: mine.some((k) => k.state === 'active'),
          rejected: mine.some((k) => k.state === 'rejected'),
          locks: mine.map(lockView),
        };
      });
    },
  );
};
