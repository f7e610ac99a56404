import { ColdtraceError } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainEpcisData } from '../../epcis/domain-epcis-data.js';
import { DEFAULT_EPCIS_BASE_URI } from '../../epcis/epcis-identifiers.js';
import { type EpcisSource, exportEpcisDocument, StoreEpcisSource } from '../../epcis/epcis-source.js';
import type { DomainServices } from '../domain-services.js';
import type { RouteDeps } from './deps.js';

const ROLES = ['viewer', 'operator', 'qa', 'admin'];

/** A time as epoch milliseconds or an RFC 3339 date-time. */
const timeParam = z.string().transform((s, ctx) => {
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t) || Number.isNaN(new Date(t).getTime())) {
    ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an RFC 3339 date-time' });
    return z.NEVER;
  }
  return t;
});

const query = z.object({
  lot: z.string().min(1).max(128).optional(),
  epc: z
    .string()
    .regex(/^[0-9A-Fa-f]{8,124}$/, 'must be an EPC in hex')
    .transform((s) => s.toUpperCase())
    .optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
  tz: z
    .string()
    .regex(/^[+-]\d{2}:\d{2}$/, 'must be ±hh:mm')
    .optional()
    .describe('eventTimeZoneOffset to declare (times stay in UTC); default +00:00'),
});

/** `GET /epcis/events`: GS1 EPCIS 2.0 JSON-LD export by lot, EPC and/or time range (docs/epcis.md). */
export const epcisRoutes: FastifyPluginAsync<
  RouteDeps & {
    epcisSource?: EpcisSource;
    domain?: DomainServices;
    /** Prefix of the private identifiers (config `epcis.baseUri`); never the request's Host. */
    baseUri?: string | undefined;
  }
> = async (root, { store, clock, wallClock, epcisSource, domain, baseUri = DEFAULT_EPCIS_BASE_URI }) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  // With the domain engine: lots, custody intervals and locks (docs/epcis.md "Sources").
  const source =
    epcisSource ?? new StoreEpcisSource(store, domain ? new DomainEpcisData(domain.domainStore) : undefined);
  app.get(
    '/epcis/events',
    {
      config: { roles: ROLES },
      schema: {
        tags: ['epcis'],
        description:
          'EPCIS 2.0 JSON-LD document (application/ld+json): ObjectEvents for portal passes (CBV bizSteps), sensor data per custody interval, locks and quantity holds as persistentDisposition. See docs/epcis.md.',
        querystring: query,
        produces: ['application/ld+json'],
      },
    },
    async (req, reply) => {
      const q = req.query;
      if (q.from !== undefined && q.to !== undefined && q.to <= q.from) {
        throw new ColdtraceError('invalid', 'to must be after from');
      }
      const now = clock.now();
      const records = await source.records(
        {
          ...(q.lot !== undefined ? { lot: q.lot } : {}),
          ...(q.epc !== undefined ? { epc: q.epc } : {}),
          ...(q.from !== undefined ? { fromTs: q.from } : {}),
          ...(q.to !== undefined ? { toTs: q.to } : {}),
        },
        now,
      );
      const doc = await exportEpcisDocument(source, records, {
        // The document's own time is when it was made (wall clock); the data stand as of the data clock.
        creationDate: wallClock.now(),
        asOf: Math.min(now, q.to ?? now),
        baseUri,
        ...(q.tz ? { timeZoneOffset: q.tz } : {}),
      });
      return reply.type('application/ld+json').send(JSON.stringify(doc));
    },
  );
};
