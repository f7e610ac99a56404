import { HIBC_DEVICE_IDENTIFIER } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deleteHibcLink, listHibcLinks, putHibcLink } from '../../store/hibc-link-master.js';
import type { HibcLinksTable } from '../../store/schema.js';
import type { DomainServices } from '../domain-services.js';
import { actorOf } from '../views.js';
import type { RouteDeps } from './deps.js';
import { gtinSchema } from './products.js';

const diSchema = z
  .string()
  .regex(
    HIBC_DEVICE_IDENTIFIER,
    'an HIBC device identifier: LIC (4 characters, the first a letter), product number (1-13 letters or digits), unit of measure (a digit)',
  );
const linkView = z.object({
  di: z.string(),
  gtin: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
const view = (l: HibcLinksTable) => ({
  di: l.di,
  gtin: l.gtin,
  createdAt: l.created_at,
  updatedAt: l.updated_at,
});

/**
 * HIBC device identifier → GTIN links (docs/barcode.md "HIBC"): master data like products, edited by
 * operators and admins, every change on the audit trail with before and after. Ingest maps an HIBC scan
 * through them; a scan whose device has no link is a `scan_hibc_unlinked` dead letter, replayable once
 * linked.
 */
export const hibcLinkRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { store, wallClock },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/hibc-links',
    {
      schema: {
        tags: ['master data'],
        description:
          'Every HIBC device identifier (LIC + product number + unit of measure) linked to a GTIN, by device ' +
          'identifier. Links in the cloud config (ingest.scans.hibcGtins) are not listed: ingest consults them ' +
          'after these.',
        response: { 200: z.array(linkView) },
      },
    },
    async () => (await listHibcLinks(store.db)).map(view),
  );
  app.put(
    '/hibc-links/:di',
    {
      config: { roles: ['operator', 'admin'] },
      schema: {
        tags: ['master data'],
        description:
          'Links an HIBC device identifier to the GTIN of a registered product (an unknown product is ' +
          'refused: 400 invalid), or changes its GTIN; audited (hibc_link.created / hibc_link.updated). ' +
          'Scans already dead-lettered as scan_hibc_unlinked map once replayed.',
        params: z.object({ di: diSchema }),
        body: z.object({ gtin: gtinSchema }).strict(),
        response: { 200: linkView },
      },
    },
    async (req) =>
      view(
        await putHibcLink(
          store.db,
          { di: req.params.di, gtin: req.body.gtin },
          actorOf(req),
          wallClock.now(),
        ),
      ),
  );
  app.delete(
    '/hibc-links/:di',
    {
      config: { roles: ['operator', 'admin'] },
      schema: {
        tags: ['master data'],
        description:
          'Removes a link (audited: hibc_link.deleted). Scans mapped through it keep their custody; later ' +
          'scans of the device are dead letters unless the cloud config links it.',
        params: z.object({ di: diSchema }),
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await deleteHibcLink(store.db, req.params.di, actorOf(req), wallClock.now());
      return reply.code(204).send(null);
    },
  );
};
