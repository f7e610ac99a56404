import { ColdtraceError, idSchema, tempLimitsFields, withLimitsRule } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../domain/views.js';
import type { LocationRow } from '../../store/cloud-store.js';
import type { RouteDeps } from './deps.js';

export const locationBodySchema = withLimitsRule(
  tempLimitsFields
    .extend({
      name: z.string().min(1).max(200),
      kind: z.enum(['room', 'vehicle', 'store', 'dock', 'other']),
    })
    .strict(),
);

const locationView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  minC: z.number(),
  maxC: z.number(),
  alarmDelayMs: z.number(),
  criticalMarginC: z.number(),
  maxGapMs: z.number(),
});

export function locationViewOf(l: LocationRow): z.infer<typeof locationView> {
  return {
    id: l.id,
    name: l.name,
    kind: l.kind,
    minC: l.min_c,
    maxC: l.max_c,
    alarmDelayMs: l.alarm_delay_ms,
    criticalMarginC: l.critical_margin_c,
    maxGapMs: l.max_gap_ms,
  };
}

export const locationRoutes: FastifyPluginAsync<RouteDeps> = async (
  root,
  { store, evaluator, wallClock },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/locations',
    { schema: { tags: ['locations'], response: { 200: z.array(locationView) } } },
    async () => (await store.listLocations()).map(locationViewOf),
  );
  app.get(
    '/locations/:id',
    { schema: { tags: ['locations'], params: z.object({ id: idSchema }), response: { 200: locationView } } },
    async (req) => {
      const l = await store.getLocation(req.params.id);
      if (!l) throw new ColdtraceError('not_found', `location ${req.params.id} not found`);
      return locationViewOf(l);
    },
  );
  app.put(
    '/locations/:id',
    {
      config: { roles: ['operator', 'admin'] }, // docs/qa-pages.md "Roles": master data is operator/admin
      schema: {
        tags: ['locations'],
        params: z.object({ id: idSchema }),
        body: locationBodySchema,
        response: { 200: locationView },
      },
    },
    async (req) => {
      const b = req.body;
      await store.upsertLocation(
        {
          id: req.params.id,
          name: b.name,
          kind: b.kind,
          min_c: b.minC,
          max_c: b.maxC,
          alarm_delay_ms: b.alarmDelayMs,
          critical_margin_c: b.criticalMarginC,
          max_gap_ms: b.maxGapMs,
        },
        wallClock.now(),
        { actor: actorOf(req) },
      );
      // New limits change which readings are out of range: re-evaluate the location's history (the
      // evaluation mark committed with the change names it in the derived audit entries).
      await evaluator.evaluate(req.params.id);
      return locationViewOf((await store.getLocation(req.params.id))!);
    },
  );
};
