import { COLDTRACE_VERSION } from '@coldtrace/shared';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeAuditEntry } from '../../domain/audit-summary.js';
import { renderAuditCsv } from '../../reports/audit-csv.js';
import type { AuditExport } from '../../reports/audit-export.js';
import { renderAuditPdf } from '../../reports/audit-pdf.js';
import {
  type AuditFilter,
  auditChainHead,
  auditFacets,
  auditNameLookup,
  listAuditEntries,
  verifyAuditTrail,
} from '../../store/audit-trail.js';
import type { Row } from '../../store/schema.js';
import type { DomainServices } from '../domain-services.js';
import { auditView } from '../views.js';
import type { RouteDeps } from './deps.js';

/** A time as epoch milliseconds or an ISO 8601 date / date-time (a date alone is 00:00 UTC). */
const time = z.string().transform((v, ctx) => {
  const ms = /^\d+$/.test(v) ? Number(v) : /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: 'expected epoch milliseconds or an ISO 8601 date-time' });
    return z.NEVER;
  }
  return ms;
});

/** The filters GET /audit and both exports take (docs/qa-pages.md "Audit trail"). */
const filters = {
  entityType: z.string().max(100).optional(),
  entityId: z.string().max(400).optional(),
  actor: z.string().max(200).optional().describe('who acted: a username, `system`, a gateway id'),
  action: z
    .string()
    .max(100)
    .optional()
    .describe('an action (`location.updated`) or a family (`location`, `disposition`)'),
  from: time.optional().describe('entries recorded at or after (epoch ms or ISO 8601)'),
  to: time.optional().describe('entries recorded before (epoch ms or ISO 8601)'),
};
const FILTER_NAMES = Object.keys(filters) as Array<keyof typeof filters>;

/** Exports hold at most this many entries (the oldest matching ones); the export says when it is cut. */
const EXPORT_MAX = { csv: 100_000, pdf: 5_000 } as const;

/** The hash-chained audit trail, its verification and exports (docs/architecture.md "Audit trail"). */
export const auditRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { domain, wallClock },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = domain.engine.db;

  /** Rows as the API shows them, with the plain-language description (summary, subject, names, changes). */
  const described = async (rows: Row<'audit_log'>[]) => {
    const views = rows.map(auditView);
    const names = await auditNameLookup(db, views);
    return views.map((v) => ({ ...v, ...describeAuditEntry(v, names) }));
  };

  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        description:
          'Audit entries by sequence number: oldest first (`order=asc`, page with `afterSeq`) or newest first (`order=desc`, page with `beforeSeq`), filtered by entity, actor, action and time. Each entry has `summary` (plain language), `subject`, `actorName` and `changes` (field, before, after) besides the stored `before`/`after`.',
        querystring: z.object({
          ...filters,
          afterSeq: z.coerce.number().int().min(0).optional().describe('only entries with a larger seq'),
          beforeSeq: z.coerce.number().int().min(1).optional().describe('only entries with a smaller seq'),
          order: z.enum(['asc', 'desc']).default('asc'),
          limit: z.coerce.number().int().min(1).max(10_000).default(1000),
        }),
      },
    },
    async (req) => described(await listAuditEntries(db, req.query)),
  );

  app.get(
    '/audit/facets',
    {
      schema: {
        tags: ['audit'],
        description:
          'The actors (with printed names) and actions on the trail: choices for the audit filters.',
      },
    },
    async () => auditFacets(db),
  );

  app.get(
    '/audit/verify',
    {
      config: { roles: ['qa', 'admin'] },
      schema: { tags: ['audit'], description: 'Recomputes the hash chain; reports the first broken entry.' },
    },
    async () => verifyAuditTrail(db),
  );

  for (const format of ['csv', 'pdf'] as const) {
    app.get(
      `/audit/export.${format}`,
      {
        schema: {
          tags: ['audit'],
          description: `The audit entries matching the filters, oldest first (at most ${EXPORT_MAX[format]}), as ${format.toUpperCase()}: with the range (first/last seq and time), the filters, the chain head and whether the whole chain verifies.`,
          querystring: z.object(filters),
          produces: [format === 'csv' ? 'text/csv' : 'application/pdf'],
        },
      },
      async (req, reply) => {
        const x = await exportOf(req, req.query, EXPORT_MAX[format]);
        // Reads are not on the audit trail (it records changes), so an export is logged: who, what, how many.
        req.log.info(
          {
            event: 'audit.export',
            format,
            actor: x.generatedBy,
            filters: x.filters,
            entries: x.entries.length,
            truncated: x.truncated,
          },
          'audit trail exported',
        );
        const stamp = new Date(x.generatedAt).toISOString().slice(0, 19).replace(/[-:]/g, '');
        const file = `coldtrace-audit-${stamp}.${format}`;
        reply.header('content-disposition', `attachment; filename="${file}"`);
        if (format === 'csv')
          return reply.type('text/csv; charset=utf-8; header=present').send(renderAuditCsv(x));
        return reply.type('application/pdf').send(await renderAuditPdf(x));
      },
    );
  }

  async function exportOf(req: FastifyRequest, q: AuditFilter, max: number): Promise<AuditExport> {
    // One more than the export holds tells whether it is cut short.
    const rows = await listAuditEntries(db, { ...q, order: 'asc', limit: max + 1 });
    const who = (req as { principal?: { printedName?: string; username?: string } | null }).principal;
    const given: Record<string, string> = {};
    for (const k of FILTER_NAMES) {
      const v = q[k];
      if (v !== undefined && v !== '') given[k] = typeof v === 'number' ? new Date(v).toISOString() : v;
    }
    const [entries, head, verify] = [
      await described(rows.slice(0, max)),
      await auditChainHead(db),
      await verifyAuditTrail(db),
    ];
    return {
      // When it was generated, by the wall clock (docs/architecture.md "Time").
      generatedAt: wallClock.now(),
      generatedBy: who?.printedName
        ? `${who.printedName}${who.username ? ` (${who.username})` : ''}`
        : (who?.username ?? 'api token'),
      version: COLDTRACE_VERSION,
      filters: given,
      entries,
      truncated: rows.length > max,
      head,
      verify,
    };
  }
};
