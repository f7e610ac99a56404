import { COLDTRACE_VERSION, ColdtraceError } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainReportData } from '../../reports/domain-report-data.js';
import { renderExcursionReport } from '../../reports/excursion-report-pdf.js';
import { type ReportSource, StoreReportSource } from '../../reports/report-source.js';
import type { DomainServices } from '../domain-services.js';
import type { RouteDeps } from './deps.js';

/** Roles allowed to read reports (read by the auth hook from the route config). */
const ROLES = ['viewer', 'operator', 'qa', 'admin'];

/** `GET /excursions/:id/report.pdf`: the auditor's PDF report of one excursion (docs/epcis.md). */
export const reportRoutes: FastifyPluginAsync<
  RouteDeps & { reportSource?: ReportSource; domain?: DomainServices }
> = async (root, { store, wallClock, reportSource, domain }) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  // With the domain engine: affected lots, signed decisions (21 CFR 11.50) and the audit excerpt.
  const source =
    reportSource ??
    new StoreReportSource(store, domain ? new DomainReportData(domain.domainStore) : undefined);
  app.get(
    '/excursions/:id/report.pdf',
    {
      config: { roles: ROLES },
      schema: {
        tags: ['excursions'],
        description:
          'PDF excursion report for auditors: statistics, temperature chart, affected lots, decisions with e-signatures, audit excerpt.',
        params: z.object({ id: z.string().min(1).max(200) }),
        produces: ['application/pdf'],
      },
    },
    async (req, reply) => {
      const who = (req as { principal?: { printedName?: string; username?: string } | null }).principal;
      const input = await source.excursionReport(req.params.id, {
        // When it was generated, by the wall clock: not the data's time (docs/architecture.md "Time").
        generatedAt: wallClock.now(),
        version: COLDTRACE_VERSION,
        generatedBy: who?.printedName ?? who?.username ?? null,
      });
      if (!input) throw new ColdtraceError('not_found', `excursion ${req.params.id} not found`);
      const pdf = await renderExcursionReport(input);
      const file = `excursion-${req.params.id.replace(/[^A-Za-z0-9._-]+/g, '_')}.pdf`;
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="${file}"`)
        .send(pdf);
    },
  );
};
