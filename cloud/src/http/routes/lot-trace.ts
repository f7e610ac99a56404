import { ColdtraceError, idSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  bucketWindows,
  chartResolution,
  clipStays,
  isPartialBucket,
  resolutionWidth,
} from '../../domain/lot-chart.js';
import { lotQuantities } from '../../domain/lot-quantities.js';
import { ROLLUP_RESOLUTION_NAMES } from '../../domain/reading-rollups.js';
import { unitLockState } from '../../domain/unit-lock-state.js';
import { bucketView } from '../../store/queries/list-rollups.js';
import {
  LOT_CHART_CURSOR_SHAPE,
  pageLotChartBuckets,
  stayExcursions,
} from '../../store/queries/lot-chart-buckets.js';
import { lotQuantityInput } from '../../store/queries/lot-quantities.js';
import { lotStays } from '../../store/queries/lot-stays.js';
import { lotTracePage } from '../../store/queries/lot-trace-page.js';
import { readingsDuringStays } from '../../store/queries/readings-during-stays.js';
import type { DomainServices } from '../domain-services.js';
import { decodePageCursor, pageAnswer } from '../list-page.js';
import { decodeCursor, encodeCursor } from '../reading-cursor.js';
import { lockView, readingFields, unitView } from '../views.js';
import type { RouteDeps } from './deps.js';

const ms = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const epcHex = z
  .string()
  .regex(/^[0-9A-Fa-f]{8,64}$/, 'must be an EPC in hex')
  .transform((s) => s.toUpperCase());

const stayView = z.object({
  locationId: z.string(),
  from: z.number().describe('when the first of these units entered (epoch ms)'),
  to: z.number().nullable().describe('when the last of them left; null while one is still there'),
  units: z.number().int().describe('distinct units of the lot in this stay'),
});

const temperatureResponse = z.object({
  lotId: z.string(),
  intervals: z
    .array(stayView)
    .describe('custody timeline: the units’ custody intervals merged per location where they overlap'),
  readings: z.array(
    z.object({
      gatewayId: z.string(),
      seq: z.number(),
      sensorId: z.string(),
      locationId: z.string(),
      ts: z.number(),
      tempC: z.number().nullable(),
      rh: z.number().nullable(),
      quality: z.string(),
    }),
  ),
  nextAfter: z.string().nullable().describe('pass as `after` for the next page; null on the last page'),
});

const chartResponse = z.object({
  lotId: z.string(),
  resolution: z.enum(ROLLUP_RESOLUTION_NAMES).describe('bucket width used'),
  intervals: z.array(stayView).describe('custody timeline, as in `/lots/{id}/temperature`'),
  sensors: z
    .record(z.string(), z.array(z.string()))
    .describe(
      "per location, the sensors whose rollups this page's buckets merge (every sensor that read there)",
    ),
  items: z.array(
    z.object({
      locationId: z.string(),
      start: z.number(),
      end: z.number(),
      minC: z.number(),
      maxC: z.number(),
      meanC: z.number(),
      count: z.number().int(),
      partial: z
        .boolean()
        .describe(
          'the bucket holds time outside every stay there: its values may include readings from then',
        ),
    }),
  ),
  excursions: z
    .array(
      z.object({
        id: z.string(),
        locationId: z.string(),
        start: z.number(),
        end: z.number().nullable(),
        peakC: z.number(),
        state: z.string(),
        critical: z.boolean(),
      }),
    )
    .describe('excursions at a stay’s location overlapping the stay and this page’s time span'),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
});

const lockSchema = z.object({
  epc: z.string(),
  excursionId: z.string(),
  locationId: z.string(),
  lotId: z.string().nullable(),
  exposedFrom: z.number(),
  exposedTo: z.number().nullable(),
  state: z.string(),
  reason: z.string(),
  dispositionId: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

const traceResponse = z.object({
  lotId: z.string(),
  total: z.number().int().describe('commissioned units of the lot'),
  units: z.array(
    z.object({
      epc: z.string(),
      gtin: z.string().nullable().describe('the GTIN the EPC decodes to (SGTIN); null otherwise'),
      serial: z.string().nullable().describe('its serial number (SGTIN); null otherwise'),
      location: z
        .string()
        .nullable()
        .describe('where the unit is now (open custody interval); null if unseen'),
      lockState: z.enum(['locked', 'rejected', 'released', 'free']),
      locked: z.boolean(),
      custody: z.array(
        z.object({
          locationId: z.string(),
          enteredAt: z.number(),
          leftAt: z.number().nullable(),
          gatewayId: z.string(),
          seq: z.number(),
        }),
      ),
      locks: z.array(lockSchema),
    }),
  ),
  nextAfter: z.string().nullable().describe('pass as `after` for the next page; null on the last page'),
  withoutSerial: z
    .array(
      z.object({
        locationId: z.string(),
        onHand: z.number().int().describe('units scanned in minus out, now'),
        scannedIn: z.number().int(),
        scannedOut: z.number().int(),
        lastScanAt: z.number(),
        held: z.number().int().describe('units held there by an excursion, not yet decided'),
        rejected: z.number().int().describe('units QA rejected there'),
      }),
    )
    .describe(
      'units of the lot scanned without a serial, counted per location (docs/barcode.md "Quantity custody"): where they are for a recall; the same on every page',
    ),
});

/**
 * `GET /lots/:id/temperature` and `GET /lots/:id/trace` (docs/architecture.md "HTTP API and QA pages": lots +
 * temperature, trace): the lot's custody timeline with the readings taken where its units were, and every
 * unit's custody path and lock state for a recall. Both are paged with an opaque `after` cursor.
 */
export const lotTraceRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { domain, clock },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = domain.engine.db;
  const lotOr404 = async (id: string) => {
    const l = await domain.domainStore.getLot(id);
    if (!l) throw new ColdtraceError('not_found', `lot ${id} not found`);
    return l;
  };

  app.get(
    '/lots/:id/temperature',
    {
      schema: {
        tags: ['lots'],
        description:
          'Temperature across custody: the lot’s custody intervals merged per location (`intervals`) and the readings taken at those locations while its units were there (`[from, to)`, optionally clipped to `from`/`to`), in time order, `limit` per page; follow `nextAfter`.',
        params: z.object({ id: idSchema }),
        querystring: z
          .object({
            from: ms.optional().describe('epoch ms, inclusive'),
            to: ms.optional().describe('epoch ms, exclusive'),
            after: z.string().min(1).max(200).optional().describe('cursor: `nextAfter` of the previous page'),
            limit: z.coerce.number().int().min(1).max(20_000).default(5000),
          })
          .refine((q) => q.from === undefined || q.to === undefined || q.to > q.from, {
            message: 'to must be after from',
            path: ['to'],
          }),
        response: { 200: temperatureResponse },
      },
    },
    async (req) => {
      const q = req.query;
      const after = q.after === undefined ? undefined : decodeCursor(q.after);
      const lot = await lotOr404(req.params.id);
      const intervals = await lotStays(db, lot.id);
      const { rows, more } = await readingsDuringStays(db, intervals, {
        fromTs: q.from,
        toTs: q.to,
        after,
        limit: q.limit,
      });
      const last = rows[rows.length - 1];
      return {
        lotId: lot.id,
        intervals,
        readings: rows.map(readingFields),
        nextAfter:
          more && last ? encodeCursor({ ts: last.ts, gatewayId: last.gateway_id, seq: last.seq }) : null,
      };
    },
  );

  app.get(
    '/lots/:id/temperature/rollups',
    {
      schema: {
        tags: ['lots'],
        description:
          'Temperature across custody from the reading rollups (docs/architecture.md "Lot chart from rollups"): per stay, the buckets of the sensors at its location (min, max, mean, count merged over them), in (start, location) order, `limit` per page (follow `nextCursor`), with the excursions of the stays. `resolution` defaults to 5m for custody up to 3 days, else 1h. A bucket that holds time outside every stay at its location is `partial`: its values may include readings from then; the raw readings are `/lots/{id}/temperature` with `from`/`to`.',
        params: z.object({ id: idSchema }),
        querystring: z
          .object({
            from: ms.optional().describe('epoch ms, inclusive'),
            to: ms.optional().describe('epoch ms, exclusive'),
            resolution: z.enum(ROLLUP_RESOLUTION_NAMES).optional().describe('bucket width; default by span'),
            cursor: z.string().min(1).max(1000).optional().describe('`nextCursor` of the previous page'),
            limit: z.coerce.number().int().min(1).max(10_000).default(2000),
          })
          .refine((q) => q.from === undefined || q.to === undefined || q.to > q.from, {
            message: 'to must be after from',
            path: ['to'],
          }),
        response: { 200: chartResponse },
      },
    },
    async (req) => {
      const q = req.query;
      const after = q.cursor === undefined ? undefined : decodePageCursor(q.cursor, LOT_CHART_CURSOR_SHAPE);
      const lot = await lotOr404(req.params.id);
      const intervals = await lotStays(db, lot.id);
      const stays = clipStays(intervals, q.from, q.to);
      const resolution = q.resolution ?? chartResolution(stays, clock.now());
      const width = resolutionWidth(resolution);
      const allExcursions = await stayExcursions(db, stays);
      const page = await pageLotChartBuckets(db, {
        windows: bucketWindows(stays, width),
        resolution,
        after,
        limit: q.limit,
      });
      // The excursions of this page's span: from the cursor (or the start) to the end of its last bucket
      // (or the end, on the last page), so the pages together list each one at least once.
      const last = page.items[page.items.length - 1];
      const [lo, hi] = [
        after ? Number(after[0]) : Number.MIN_SAFE_INTEGER,
        page.next && last ? last.bucket_start + width : Number.MAX_SAFE_INTEGER,
      ];
      const excursions = allExcursions.filter((e) => e.start_ts < hi && (e.end_ts === null || e.end_ts > lo));
      const { items, nextCursor } = pageAnswer(
        page.items.map((b) => ({
          locationId: b.location_id,
          ...bucketView(b, width),
          partial: isPartialBucket(stays, b.location_id, b.bucket_start, width),
        })),
        page.next,
      );
      return {
        lotId: lot.id,
        resolution,
        intervals,
        sensors: Object.fromEntries(page.sensors),
        items,
        excursions: excursions.map((e) => ({
          id: e.id,
          locationId: e.location_id,
          start: e.start_ts,
          end: e.end_ts,
          peakC: e.peak_c,
          state: e.state,
          critical: e.critical !== 0,
        })),
        nextCursor,
      };
    },
  );

  app.get(
    '/lots/:id/trace',
    {
      schema: {
        tags: ['lots'],
        description:
          'Trace / recall: every commissioned unit of the lot (EPC order, `limit` per page; follow `nextAfter`) with its full custody path (locations and intervals), where it is now and its lock state; and the units scanned without a serial, counted per location (`withoutSerial`).',
        params: z.object({ id: idSchema }),
        querystring: z.object({
          after: epcHex.optional().describe('cursor: `nextAfter` of the previous page (an EPC)'),
          limit: z.coerce.number().int().min(1).max(5000).default(500),
        }),
        response: { 200: traceResponse },
      },
    },
    async (req) => {
      const lot = await lotOr404(req.params.id);
      const page = await lotTracePage(db, lot.id, { after: req.query.after, limit: req.query.limit });
      const input = await lotQuantityInput(db, lot.id);
      const holds = await db
        .selectFrom('quantity_holds')
        .select(['location_id', 'state', 'units', 'decided_units'])
        .where('lot_id', '=', lot.id)
        .where('state', 'in', ['active', 'rejected'])
        .execute();
      const heldAt = (locationId: string, state: string) =>
        holds
          .filter((h) => h.location_id === locationId && h.state === state)
          .reduce((n, h) => n + Number(state === 'rejected' ? (h.decided_units ?? h.units) : h.units), 0);
      const withoutSerial = lotQuantities(input.scans, input.excursions).map((q) => ({
        locationId: q.locationId,
        onHand: q.onHand,
        scannedIn: q.scannedIn,
        scannedOut: q.scannedOut,
        lastScanAt: q.lastScanAt,
        held: heldAt(q.locationId, 'active'),
        rejected: heldAt(q.locationId, 'rejected'),
      }));
      const units = page.units.map((u) => {
        const lockState = unitLockState(u.locks);
        return {
          ...unitView(u.epc),
          location: u.custody.find((c) => c.left_at === null)?.location_id ?? null,
          lockState,
          locked: lockState === 'locked',
          custody: u.custody.map((c) => ({
            locationId: c.location_id,
            enteredAt: c.entered_at,
            leftAt: c.left_at,
            gatewayId: c.gateway_id,
            seq: c.seq,
          })),
          locks: u.locks.map((l) => lockView({ ...l, lot_id: lot.id })),
        };
      });
      return {
        lotId: lot.id,
        total: page.total,
        units,
        nextAfter: page.more ? (units[units.length - 1]?.epc ?? null) : null,
        withoutSerial,
      };
    },
  );
};
