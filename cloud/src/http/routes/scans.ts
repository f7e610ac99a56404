import { ColdtraceError, idSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { lotQuantities } from '../../domain/lot-quantities.js';
import { pageQuantityHolds, quantityHoldsOf } from '../../store/queries/list-quantity-holds.js';
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

const holdView = z
  .object({
    state: z.enum(['active', 'lifted', 'released', 'rejected']),
    units: z.number().int().describe('units held: the most on hand during the excursion'),
    decidedUnits: z
      .number()
      .int()
      .nullable()
      .describe('units a signed decision covered (more held since reopen the review)'),
    dispositionId: z.string().nullable(),
    reason: z.string(),
  })
  .describe('the quantity hold on these units (docs/barcode.md "Quantity custody"); null: not held');

type HoldRow = {
  state: string;
  units: number;
  decided_units: number | null;
  disposition_id: string | null;
  reason: string;
};
const holdOf = (h: HoldRow | undefined) =>
  h
    ? {
        state: h.state as 'active' | 'lifted' | 'released' | 'rejected',
        units: Number(h.units),
        decidedUnits: h.decided_units === null ? null : Number(h.decided_units),
        dispositionId: h.disposition_id,
        reason: h.reason,
      }
    : null;

const quantityHoldItem = z.object({
  lotId: z.string(),
  locationId: z.string(),
  excursionId: z.string(),
  units: z.number().int(),
  decidedUnits: z.number().int().nullable(),
  exposedFrom: z.number(),
  exposedTo: z.number().nullable(),
  state: z.enum(['active', 'lifted', 'released', 'rejected']),
  dispositionId: z.string().nullable(),
  reason: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

/** Rows of the array answer (no `limit`, no `cursor`). */
const ARRAY_ROWS = 10_000;

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
              hold: holdView.nullable(),
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
        hold: holdView.nullable(),
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
      const holds = new Map(
        (await quantityHoldsOf(store.db, { lotId: lot.id })).map((h) => [
          `${h.location_id}|${h.excursion_id}`,
          h,
        ]),
      );
      const locations = lotQuantities(input.scans, input.excursions).map((l) => ({
        ...l,
        exposures: l.exposures.map((e) => ({
          ...e,
          hold: holdOf(holds.get(`${l.locationId}|${e.excursionId}`)),
        })),
      }));
      return { lotId: lot.id, locations };
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
      const holds = new Map(
        (await quantityHoldsOf(store.db, { excursionId: x.id }))
          .filter((h) => h.location_id === x.location_id)
          .map((h) => [h.lot_id, h]),
      );
      const lots = [];
      for (const [lotId, scans] of [...(await quantityScansAt(store.db, x.location_id))].sort()) {
        const [at] = lotQuantities(scans, [excursion]);
        const exposure = at?.exposures[0];
        if (exposure) lots.push({ lotId, units: exposure.units, hold: holdOf(holds.get(lotId)) });
      }
      return { excursionId: x.id, locationId: x.location_id, lots };
    },
  );
  app.get(
    '/quantity-holds',
    {
      schema: {
        tags: ['locks'],
        description:
          'Quantity holds (units of a lot without serial held by an excursion at a location, docs/barcode.md ' +
          '"Quantity custody") in creation order, filtered. With `limit` or `cursor`: one page, ' +
          `\`{ items, nextCursor }\`; without either, the first ${ARRAY_ROWS} as an array.`,
        querystring: z.object({
          state: z.enum(['active', 'lifted', 'released', 'rejected']).optional(),
          lotId: idSchema.optional(),
          locationId: idSchema.optional(),
          excursionId: z.string().min(1).max(200).optional(),
          ...pageParams(100_000),
        }),
      },
    },
    async (req) => {
      const q = req.query;
      const paged = wantsPage(q);
      const page = await pageQuantityHolds(store.db, {
        ...q,
        after: q.cursor === undefined ? undefined : decodePageCursor(q.cursor, ['n', 's', 's', 's']),
        limit: paged ? (q.limit ?? DEFAULT_PAGE) : ARRAY_ROWS,
      });
      const items = page.items.map((h) => ({
        lotId: h.lot_id,
        locationId: h.location_id,
        excursionId: h.excursion_id,
        units: Number(h.units),
        decidedUnits: h.decided_units === null ? null : Number(h.decided_units),
        exposedFrom: Number(h.exposed_from),
        exposedTo: h.exposed_to === null ? null : Number(h.exposed_to),
        state: h.state as z.infer<typeof quantityHoldItem>['state'],
        dispositionId: h.disposition_id,
        reason: h.reason,
        createdAt: Number(h.created_at),
        updatedAt: Number(h.updated_at),
      }));
      return paged ? pageAnswer(items, page.next) : items;
    },
  );
};
