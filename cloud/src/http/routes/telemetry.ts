import { ColdtraceError, idSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLLUP_RESOLUTION_NAMES, ROLLUP_RESOLUTIONS } from '../../domain/reading-rollups.js';
import { replayDeadLetter } from '../../ingest/dead-letter-replay.js';
import type { Ingestor } from '../../ingest/ingestor.js';
import type { DeadLetterRow } from '../../store/cloud-store.js';
import { pageDeadLetters } from '../../store/queries/list-dead-letters.js';
import { pageAlarms, pageMovements } from '../../store/queries/list-gateway-records.js';
import { pageReadingsJson, READING_CURSOR_SHAPE } from '../../store/queries/list-readings.js';
import { bucketView, pageRollups, ROLLUP_CURSOR_SHAPE } from '../../store/queries/list-rollups.js';
import {
  DEFAULT_PAGE,
  decodePageCursor,
  pageAnswer,
  pageAnswerJson,
  pageParams,
  wantsPage,
} from '../list-page.js';
import { actorOf, readingView } from '../views.js';
import type { RouteDeps } from './deps.js';

const limit = z.coerce.number().int().min(1).max(100_000).default(1000);
const ms = z.coerce.number().int().min(0);
/**
 * Paging of readings, movements and alarms (docs/architecture.md "Lists and paging"): `limit` alone answers
 * the array it always did (scripts and the excursion page read it); a page is asked with `cursor`, or
 * `paged=true` for the first one, and `limit` is its size.
 */
const cursorPage = {
  cursor: z.string().min(1).max(1000).optional().describe('`nextCursor` of the previous page'),
  paged: z
    .enum(['true', 'false'])
    .optional()
    .describe('`true`: answer the first page, `{ items, nextCursor }`'),
};
/** A time window, `[from, to)` in ms, and the paging above. */
const timePage = { from: ms.optional(), to: ms.optional(), limit, ...cursorPage };
const asksPage = (q: { cursor?: string | undefined; paged?: string | undefined }) =>
  q.cursor !== undefined || q.paged === 'true';
/** The position a cursor of these lists names: (ts, gateway id, seq). */
const afterOf = (q: { cursor?: string | undefined }) =>
  q.cursor === undefined ? undefined : decodePageCursor(q.cursor, READING_CURSOR_SHAPE);
const PAGING_NOTE =
  ': the first `limit` as an array; with `cursor`, or `paged=true` for the first page, one page of `limit`, ' +
  '`{ items, nextCursor }`: pass `nextCursor` back as `cursor` (null on the last page).';

/** Characters of each payload `GET /dead-letters` returns (the whole one: `GET /dead-letters/{id}`). */
const DEAD_LETTER_PREVIEW_CHARS = 64 * 1024;

export const telemetryRoutes: FastifyPluginAsync<RouteDeps & { ingestor?: Ingestor | undefined }> = async (
  root,
  { store, wallClock, ingestor },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/readings',
    {
      schema: {
        tags: ['telemetry'],
        description:
          'Readings in time order (taken at, gateway, sequence), filtered by gateway, location, sensor and `from`/`to` ' +
          `(taken in [from, to))${PAGING_NOTE}`,
        querystring: z.object({
          gatewayId: idSchema.optional(),
          locationId: idSchema.optional(),
          sensorId: idSchema.optional(),
          ...timePage,
        }),
      },
    },
    async (req, reply) => {
      const q = req.query;
      const page = await pageReadingsJson(
        store.db,
        {
          gatewayId: q.gatewayId,
          locationId: q.locationId,
          sensorId: q.sensorId,
          fromTs: q.from,
          toTs: q.to,
          after: afterOf(q),
          limit: q.limit,
        },
        readingView,
        store.opened.sqlite,
      );
      // The rows' JSON as the store wrote it (a sensor's 30 days on SQLite: 7 MB, written by the statement).
      reply.type('application/json; charset=utf-8');
      return asksPage(q) ? pageAnswerJson(page.json, page.next) : page.json;
    },
  );

  app.get(
    '/readings/rollups',
    {
      schema: {
        tags: ['telemetry'],
        description:
          "One sensor's temperatures per 5-minute or 1-hour bucket (min, max, mean, count of the readings with a " +
          'value), maintained at ingest: for charts over weeks or months without reading every reading. The buckets ' +
          'that overlap `from`/`to` ([from, to)), in time order; a bucket holds the sensor at every location and ' +
          `gateway it was read through${PAGING_NOTE}`,
        querystring: z.object({
          sensorId: idSchema,
          resolution: z.enum(ROLLUP_RESOLUTION_NAMES).describe('bucket width'),
          ...timePage,
        }),
      },
    },
    async (req) => {
      const q = req.query;
      const width = ROLLUP_RESOLUTIONS[q.resolution];
      const page = await pageRollups(store.db, {
        sensorId: q.sensorId,
        resolution: q.resolution,
        fromTs: q.from,
        toTs: q.to,
        after: q.cursor === undefined ? undefined : decodePageCursor(q.cursor, ROLLUP_CURSOR_SHAPE),
        limit: q.limit,
      });
      const items = page.items.map((b) => bucketView(b, width));
      return asksPage(q) ? pageAnswer(items, page.next) : items;
    },
  );

  app.get(
    '/movements',
    {
      schema: {
        tags: ['telemetry'],
        description: `Tag movements in time order (seen at, gateway, sequence), filtered by gateway and EPC${PAGING_NOTE}`,
        querystring: z.object({
          gatewayId: idSchema.optional(),
          epc: z.string().optional(),
          limit,
          ...cursorPage,
        }),
      },
    },
    async (req) => {
      const q = req.query;
      const page = await pageMovements(store.db, {
        gatewayId: q.gatewayId,
        epc: q.epc?.toUpperCase(),
        after: afterOf(q),
        limit: q.limit,
      });
      const items = page.items.map((m) => ({
        gatewayId: m.gateway_id,
        seq: m.seq,
        epc: m.epc,
        portalId: m.portal_id,
        kind: m.kind,
        from: m.from_location,
        to: m.to_location,
        direction: m.direction,
        ts: m.ts,
        firstSeen: m.first_seen,
        lastSeen: m.last_seen,
        reads: m.reads,
        peakRssi: m.peak_rssi,
      }));
      return asksPage(q) ? pageAnswer(items, page.next) : items;
    },
  );

  app.get(
    '/alarms',
    {
      schema: {
        tags: ['telemetry'],
        description: `Gateway alarms in time order (raised at, gateway, sequence), filtered by gateway${PAGING_NOTE}`,
        querystring: z.object({ gatewayId: idSchema.optional(), limit, ...cursorPage }),
      },
    },
    async (req) => {
      const q = req.query;
      const page = await pageAlarms(store.db, { gatewayId: q.gatewayId, after: afterOf(q), limit: q.limit });
      const items = page.items.map((a) => ({
        gatewayId: a.gateway_id,
        seq: a.seq,
        alarmId: a.alarm_id,
        kind: a.kind,
        state: a.state,
        severity: a.severity,
        ts: a.ts,
        locationId: a.location_id,
        sensorId: a.sensor_id,
        value: a.value,
        message: a.message,
      }));
      return asksPage(q) ? pageAnswer(items, page.next) : items;
    },
  );

  // /excursions and /monitoring-gaps moved to excursions.ts (domain engine).

  const deadLetterView = (d: DeadLetterRow) => ({
    id: d.id,
    receivedAt: d.received_at,
    topic: d.topic,
    gatewayId: d.gateway_id,
    clientId: d.client_id,
    code: d.code,
    reason: d.reason,
    payloadBytes: d.payload_bytes,
    payload: d.payload,
    replayedAt: d.replayed_at,
    replayedBy: d.replayed_by,
    replayResult: d.replay_result === null ? null : (JSON.parse(d.replay_result) as unknown),
  });

  app.get(
    '/dead-letters',
    {
      schema: {
        tags: ['telemetry'],
        description:
          'The newest rejected messages with the reason, filtered by `code` and `gatewayId`. Each payload is cut ' +
          'to its first 64 KiB characters (`payloadTruncated`); `GET /dead-letters/{id}` returns it whole. With ' +
          '`limit` or `cursor`: one page, `{ items, nextCursor }`; without either, the newest 100 as an array.',
        querystring: z.object({
          code: z.string().min(1).max(100).optional(),
          gatewayId: idSchema.optional(),
          ...pageParams(1000),
        }),
      },
    },
    async (req) => {
      const q = req.query;
      const paged = wantsPage(q);
      const page = await pageDeadLetters(store.db, {
        code: q.code,
        gatewayId: q.gatewayId,
        after: q.cursor === undefined ? undefined : decodePageCursor(q.cursor, ['n']),
        limit: paged ? (q.limit ?? DEFAULT_PAGE) : 100,
        previewChars: DEAD_LETTER_PREVIEW_CHARS,
      });
      const items = page.items.map((d) => ({
        ...deadLetterView(d),
        payloadTruncated: d.payload_chars > DEAD_LETTER_PREVIEW_CHARS,
      }));
      return paged ? pageAnswer(items, page.next) : items;
    },
  );

  app.get(
    '/dead-letters/:id',
    {
      schema: {
        tags: ['telemetry'],
        description:
          'One rejected message with its whole payload as received (up to the 4 MiB payload limit; of a larger ' +
          'payload, the first 4 MiB: compare with payloadBytes).',
        params: z.object({ id: z.coerce.number().int().positive() }),
      },
    },
    async (req) => {
      const d = await store.getDeadLetter(req.params.id);
      if (!d) throw new ColdtraceError('not_found', `dead letter ${req.params.id} not found`);
      return deadLetterView(d);
    },
  );

  app.post(
    '/dead-letters/:id/replay',
    {
      config: { roles: ['operator', 'admin'] },
      schema: {
        tags: ['telemetry'],
        description:
          'Ingests a dead letter again once its cause is fixed (e.g. the gateway was registered after it published ' +
          'through an external broker): stored like any message (idempotent), the dead letter marked replayed and ' +
          'the replay audited. 409 with the reason when it is still rejected, was replayed already, was refused by ' +
          'the topic ACL, or its payload was not kept whole.',
        params: z.object({ id: z.coerce.number().int().positive() }),
        response: {
          200: z.object({ stream: z.string(), inserted: z.number(), duplicates: z.number() }),
        },
      },
    },
    async (req) => {
      if (!ingestor)
        throw new ColdtraceError('unavailable', 'this process has no ingest pipeline to replay into');
      // A person's action: marked and audited at the wall-clock time (the ingestor stamps the records).
      return replayDeadLetter({ store, ingestor, clock: wallClock }, req.params.id, actorOf(req));
    },
  );
};
