import {
  ColdtraceError,
  idSchema,
  type TempLimits,
  tempLimitsFields,
  withLimitsRule,
} from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LocationRow } from '../../store/cloud-store.js';
import { changeLocationLimits, upsertLocation } from '../../store/location-master.js';
import type { DomainServices } from '../domain-services.js';
import { actorOf } from '../views.js';
import type { RouteDeps } from './deps.js';
import { signedChangeFields, signedChangeOf } from './signed-change.js';

export const locationBodySchema = withLimitsRule(
  tempLimitsFields
    .extend({
      name: z.string().min(1).max(200),
      kind: z.enum(['room', 'vehicle', 'store', 'dock', 'other']),
    })
    .strict(),
);

/** A change of an existing location's limits: the limits, a reason and the e-signature. */
const limitsBodySchema = withLimitsRule(tempLimitsFields.extend(signedChangeFields).strict());

const limitColumns = (b: TempLimits) => ({
  min_c: b.minC,
  max_c: b.maxC,
  alarm_delay_ms: b.alarmDelayMs,
  critical_margin_c: b.criticalMarginC,
  max_gap_ms: b.maxGapMs,
});

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

/**
 * Locations and their limits (docs/architecture.md "Master data"). Operators create locations and rename
 * them; their limits are a specification: changing them needs role qa or admin, a reason and an
 * e-signature (EU GMP Annex 11 §10 change control, 21 CFR 11.200), and the re-evaluation of the history it
 * causes never lifts a lock (docs/architecture.md "Affected stock and locks").
 */
export const locationRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { store, evaluator, wallClock, domain },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const viewOf = async (id: string) => locationViewOf((await store.getLocation(id))!);
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
        description:
          'Creates a location, or changes its name and kind. The limits of an existing location change only ' +
          'with PUT /locations/:id/limits (e-signed): a different limit here is refused (403), nothing changed.',
        params: z.object({ id: idSchema }),
        body: locationBodySchema,
        response: { 200: locationView },
      },
    },
    async (req) => {
      const b = req.body;
      await upsertLocation(
        store.db,
        { id: req.params.id, name: b.name, kind: b.kind, ...limitColumns(b) },
        wallClock.now(),
        { actor: actorOf(req), keepLimits: true },
      );
      // A new location: readings stored before its master data existed are evaluated (the evaluation
      // mark committed with it); this can lock units, never lift a lock (there was nothing to lift).
      await evaluator.evaluate(req.params.id);
      return viewOf(req.params.id);
    },
  );
  app.put(
    '/locations/:id/limits',
    {
      config: { roles: ['qa', 'admin'] },
      schema: {
        tags: ['locations'],
        description:
          "Changes an existing location's limits, e-signed (username and password of the signed-in user " +
          're-entered) with a reason. The history is re-evaluated under the new limits; a lock this would ' +
          'remove stays locked pending review (only a signed disposition releases it).',
        params: z.object({ id: idSchema }),
        body: limitsBodySchema,
        response: { 200: locationView },
      },
    },
    async (req) => {
      const b = req.body;
      const signed = await signedChangeOf(req, b, domain.verifySignature, wallClock);
      await changeLocationLimits(store.db, req.params.id, limitColumns(b), signed.signedAt, signed);
      // The evaluation mark committed with the change names it in the derived audit entries.
      await evaluator.evaluate(req.params.id);
      return viewOf(req.params.id);
    },
  );
};
