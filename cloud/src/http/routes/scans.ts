import { ColdtraceError, idSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { lotQuantities } from '../../domain/lot-quantities.js';
import { pageScans } from '../../store/queries/list-scans.js';
import { lotQuantityInput, quantityScansAt } from '../../store/queries/lot-quantities.js';
import type { DomainServices } from '../domain-services.js';
import { DEFAULT_PAGE, decodePageCursor, pageAnswer, pageParams, wantsPage } from '../list-page.js';
import type { RouteDeps } from './deps.js';

const FLAG_CODES = [
  'scan_lot_mismatch',
  'scan_expiry_mismatch',
  'scan_expired_received',
  'scan_lot_unknown',
] as const;

const quantitiesResponse = z.object({
  lotId: z.string(),
  locations: z
    .array(
      z.object({
        locationId: z.string(),
        scannedIn: z.number().int(),
        scannedOut: z.number().int(),
        onHand: z.number().int().describe('units on hand now: in minus out, never below zero'),
        firstScanAt: z.number(),
        lastScanAt: z.number(),
        exposures: z
          .array(
            z.object({
              excursionId: z.string(),
              from: z.number(),
              to: z.number().nullable(),
              units: z.number().int().describe('most units of the lot on hand there during the excursion'),
            }),
          )
          .describe('excursions at the location while units of the lot were on hand'),
      }),
    )
    .describe('units scanned without a serial, counted per location (quantity custody, docs/barcode.md)'),
});

const excursionQuantitiesResponse = z.object({
  excursionId: z.string(),
  locationId: z.string(),
  lots: z
    .array(
      z.object({
        lotId: z.string(),
        units: z
          .number()
          .int()
          .describe('most units of the lot on hand at the location during the excursion'),
      }),
    )
    .describe(
      'lots with units scanned without a serial on hand during the excursion (quantity exposure: they cannot be locked one by one)',
    ),
});

/** Barcode scans in the cloud (docs/barcode.md "Scans in the cloud"): scans with their flags, lot quantities. */
export const scanRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { domain, store },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const ds = domain.domainStore;
  app.get(
    '/scans',
    {
      schema: {
        tags: ['scans'],
        description:
          'Stored scans with their flags, newest first, filtered. With `limit` or `cursor`: one page, ' +
          '`{ items, nextCursor }`; without either, the newest 500 as an array.',
        querystring: z.object({
          lotId: idSchema.optional(),
          epc: z
            .string()
            .regex(/^[0-9A-Fa-f]{8,64}$/, 'must be an EPC in hex')
            .transform((s) => s.toUpperCase())
            .optional(),
          locationId: idSchema.optional(),
          from: z.coerce.number().int().optional().describe('scanned at or after (epoch ms)'),
          to: z.coerce.number().int().optional().describe('scanned before (epoch ms)'),
          flagged: z.enum(['true', 'false']).optional(),
          flag: z.enum(FLAG_CODES).optional(),
          ...pageParams(5000),
        }),
      },
    },
    async (req) => {
      const q = req.query;
      const paged = wantsPage(q);
      const page = await pageScans(store.db, {
        lotId: q.lotId,
        epc: q.epc,
        locationId: q.locationId,
        from: q.from,
        to: q.to,
        flag: q.flag,
        flagged: q.flagged === 'true',
        after: q.cursor === undefined ? undefined : decodePageCursor(q.cursor, ['n', 's', 'n']),
        limit: paged ? (q.limit ?? DEFAULT_PAGE) : 500,
      });
      return paged ? pageAnswer(page.items, page.next) : page.items;
    },
  );
  app.get(
    '/lots/:id/quantities',
    {
      schema: { tags: ['lots'], params: z.object({ id: idSchema }), response: { 200: quantitiesResponse } },
    },
    async (req) => {
      const lot = await ds.getLot(req.params.id);
      if (!lot) throw new ColdtraceError('not_found', `lot ${req.params.id} not found`);
      const input = await lotQuantityInput(store.db, lot.id);
      return { lotId: lot.id, locations: lotQuantities(input.scans, input.excursions) };
    },
  );
  app.get(
    '/excursions/:id/quantities',
    {
      schema: {
        tags: ['excursions'],
        params: z.object({ id: z.string().min(1).max(200) }),
        response: { 200: excursionQuantitiesResponse },
      },
    },
    async (req) => {
      const x = await ds.getExcursion(req.params.id);
      if (!x) throw new ColdtraceError('not_found', `excursion ${req.params.id} not found`);
      const excursion = {
        id: x.id,
        location_id: x.location_id,
        start_ts: Number(x.start_ts),
        end_ts: x.end_ts === null ? null : Number(x.end_ts),
      };
      const lots = [];
      for (const [lotId, scans] of [...(await quantityScansAt(store.db, x.location_id))].sort()) {
        const [at] = lotQuantities(scans, [excursion]);
        const exposure = at?.exposures[0];
        if (exposure) lots.push({ lotId, units: exposure.units });
      }
      return { excursionId: x.id, locationId: x.location_id, lots };
    },
  );
};
