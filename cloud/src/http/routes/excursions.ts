import { ColdtraceError, idSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assessLot } from '../../domain/lot-assessment.js';
import { guardedLotOf, secondSignatureReasons } from '../../domain/release-guard.js';
import { lotReads } from '../../store/lot-reads.js';
import { listExcursions, pageExcursions } from '../../store/queries/list-excursions.js';
import { lotCustodyMkt } from '../../store/queries/lot-custody-mkt.js';
import { listReleaseProposals } from '../../store/release-proposal-repo.js';
import type { DomainServices } from '../domain-services.js';
import { DEFAULT_PAGE, decodePageCursor, pageAnswer, pageParams, wantsPage } from '../list-page.js';
import { auditView, dispositionView, excursionView, releaseProposalView, unitView } from '../views.js';
import type { RouteDeps } from './deps.js';

/** Excursions (stable ids, review state), their affected lots and units, and monitoring gaps. */
export const excursionRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { store, domain },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const ds = domain.domainStore;

  app.get(
    '/excursions',
    {
      schema: {
        tags: ['excursions'],
        description:
          'Excursions by start time (`order`), filtered. With `limit` or `cursor`: one page, `{ items, nextCursor }` ' +
          '(follow `nextCursor`); without either, the whole filtered list as an array.',
        querystring: z.object({
          locationId: idSchema.optional(),
          reviewState: z.enum(['pending', 'decided']).optional(),
          state: z.enum(['ongoing', 'closed', 'withdrawn']).optional(),
          lotId: idSchema.optional().describe('excursions that locked a unit of this lot'),
          from: z.coerce.number().int().min(0).optional().describe('overlapping [from, to] (epoch ms)'),
          to: z.coerce.number().int().min(0).optional(),
          critical: z.enum(['true', 'false']).optional(),
          order: z.enum(['asc', 'desc']).default('asc'),
          ...pageParams(1000),
        }),
      },
    },
    async (req) => {
      const q = req.query;
      const filter = {
        ...q,
        fromTs: q.from,
        toTs: q.to,
        critical: q.critical === undefined ? undefined : q.critical === 'true',
      };
      if (!wantsPage(q)) return (await listExcursions(domain.engine.db, filter)).map(excursionView);
      const after = q.cursor === undefined ? undefined : decodePageCursor(q.cursor, ['n', 's']);
      const page = await pageExcursions(domain.engine.db, {
        ...filter,
        after,
        limit: q.limit ?? DEFAULT_PAGE,
      });
      return pageAnswer(page.items.map(excursionView), page.next);
    },
  );

  app.get(
    '/excursions/:id',
    { schema: { tags: ['excursions'], params: z.object({ id: z.string().min(1).max(200) }) } },
    async (req) => {
      const x = await ds.getExcursion(req.params.id);
      if (!x) throw new ColdtraceError('not_found', `excursion ${req.params.id} not found`);
      const locks = await ds.listLocks({ excursionId: x.id });
      const where = await ds.currentLocations(locks.map((l) => l.epc));
      const lots = new Map<string | null, typeof locks>();
      for (const l of locks) lots.set(l.lot_id ?? null, [...(lots.get(l.lot_id ?? null) ?? []), l]);
      const affectedLots = await Promise.all(
        [...lots.entries()].map(async ([lotId, rows]) => {
          const exposed = rows.filter((r) => r.state !== 'lifted');
          const whereNow: Record<string, number> = {};
          for (const r of exposed) {
            const loc = where.get(r.epc) ?? 'unknown';
            whereNow[loc] = (whereNow[loc] ?? 0) + 1;
          }
          const assessment = lotId ? await assessLot(lotReads(domain.engine.db), lotId) : undefined;
          const lot = lotId ? await ds.getLot(lotId) : undefined;
          return {
            lotId,
            // The lot's visible name (its lot number); `lotId` stays for links and the API.
            lotNumber: lot?.lot_number ?? null,
            uncommissioned: lotId === null,
            exposedUnits: exposed.length,
            lockedUnits: exposed.filter((r) => r.state === 'active').length,
            releasedUnits: exposed.filter((r) => r.state === 'released').length,
            rejectedUnits: exposed.filter((r) => r.state === 'rejected').length,
            totalUnits: assessment?.units.total ?? exposed.length,
            whereNow,
            epcs: exposed.map((r) => r.epc),
            // The same units by GTIN and serial (docs/qa-pages.md "Pages").
            units: exposed.map((r) => unitView(r.epc)),
            assessment: assessment
              ? { ...assessment, custodyMktC: await lotCustodyMkt(domain.engine.db, assessment.lotId) }
              : null,
            // The two-person rule (domain/release-guard.ts): why releasing this lot needs a justification
            // and a second QA signature; empty when one signature suffices.
            releaseNeeds: assessment ? secondSignatureReasons('excursion', [guardedLotOf(assessment)]) : [],
          };
        }),
      );
      return {
        ...excursionView(x),
        affectedLots,
        dispositions: (await ds.listDispositions({ excursionId: x.id })).map(dispositionView),
        releaseProposals: (await listReleaseProposals(domain.engine.db, { excursionId: x.id })).map(
          releaseProposalView,
        ),
        audit: (await ds.listAudit({ entityType: 'excursion', entityId: x.id })).map(auditView),
      };
    },
  );

  app.get(
    '/monitoring-gaps',
    { schema: { tags: ['excursions'], querystring: z.object({ locationId: idSchema.optional() }) } },
    async (req) =>
      (await store.listMonitoringGaps(req.query.locationId)).map((g) => ({
        locationId: g.location_id,
        sensorId: g.sensor_id,
        fromTs: g.from_ts,
        toTs: g.to_ts,
      })),
  );
};
