import { ColdtraceError, idSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { lotQuantities } from '../../domain/lot-quantities.js';
import { listScans } from '../../store/queries/list-scans.js';
import { lotQuantityInput } from '../../store/queries/lot-quantities.js';
import type { DomainServices } from '../domain-services.js';
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
        querystring: z.object({
          lotId: idSchema.optional(),
          epc: z
            .string()
            .regex(/^[0-9A-Fa-f]{8,64}$/, 'must be an EPC in hex')
            .transform((s) => s.toUpperCase())
            .optional(),
          flagged: z.enum(['true', 'false']).optional(),
          flag: z.enum(FLAG_CODES).optional(),
          limit: z.coerce.number().int().min(1).max(5000).default(500),
        }),
      },
    },
    async (req) =>
      listScans(store.db, {
        lotId: req.query.lotId,
        epc: req.query.epc,
        flag: req.query.flag,
        flagged: req.query.flagged === 'true',
        limit: req.query.limit,
      }),
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
};
