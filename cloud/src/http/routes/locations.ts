import {
  ColdtraceError,
  idSchema,
  type TempLimits,
  tempLimitsFields,
  withLimitsRule,
} from '@coldtrace/shared';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SpecEffect } from '../../domain/spec-versions.js';
import type { LocationRow } from '../../store/cloud-store.js';
import { changeLocationLimits, upsertLocation } from '../../store/location-master.js';
import { specHistory } from '../../store/spec-version-repo.js';
import type { DomainServices } from '../domain-services.js';
import { actorOf } from '../views.js';
import type { RouteDeps } from './deps.js';
import {
  effectiveFromField,
  signedChangeFields,
  signedVersionOf,
  versionView,
  versionViewOf,
} from './signed-change.js';

export const locationBodySchema = withLimitsRule(
  tempLimitsFields
    .extend({
      name: z.string().min(1).max(200),
      kind: z.enum(['room', 'vehicle', 'store', 'dock', 'other']),
    })
    .strict(),
);

/**
 * A change of an existing location's limits: the limits, a reason, the e-signature and when it takes
 * effect (data time, now or later; default now).
 */
const limitsBodySchema = withLimitsRule(
  tempLimitsFields.extend({ ...signedChangeFields, effectiveFrom: effectiveFromField.optional() }).strict(),
);
/** A retroactive correction: the limits in force from `effectiveFrom` (in the past; null = from the beginning). */
const correctionBodySchema = withLimitsRule(
  tempLimitsFields.extend({ ...signedChangeFields, effectiveFrom: effectiveFromField.nullable() }).strict(),
);
const limitsVersionView = versionView(tempLimitsFields);

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
  { store, evaluator, clock, wallClock, domain },
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
  const change = async (
    req: FastifyRequest,
    id: string,
    b: z.infer<typeof tempLimitsFields> & { reason: string; username: string; password: string },
    kind: SpecEffect['kind'],
    /** Undefined: the data clock's now (an ordinary change's default). */
    requested: number | undefined,
  ) => {
    const deps = { verify: domain.verifySignature, wallClock, clock };
    const { signed, effect } = await signedVersionOf(req, b, kind, requested, deps);
    const changed = await changeLocationLimits(
      store.db,
      id,
      limitColumns(b),
      signed.signedAt,
      signed,
      effect,
    );
    // The evaluation mark committed with the change names it in the derived audit entries; before its
    // effectiveFrom the versions are as they were, so the history is re-evaluated from there on.
    const fromTs = changed?.reevaluateFrom ?? Number.NEGATIVE_INFINITY;
    await evaluator.evaluate(id, { fromTs, toTs: Number.POSITIVE_INFINITY });
    return viewOf(id);
  };
  app.put(
    '/locations/:id/limits',
    {
      config: { roles: ['qa', 'admin'] },
      schema: {
        tags: ['locations'],
        description:
          "Changes an existing location's limits, e-signed (username and password of the signed-in user " +
          're-entered) with a reason, as a new version in force from effectiveFrom (data time, epoch ms; ' +
          'default now; before now is refused with spec_effective_in_past): readings before it keep the ' +
          'limits they were judged by. A lock a re-evaluation would remove stays locked pending review.',
        params: z.object({ id: idSchema }),
        body: limitsBodySchema,
        response: { 200: locationView },
      },
    },
    async (req) => change(req, req.params.id, req.body, 'change', req.body.effectiveFrom),
  );
  app.post(
    '/locations/:id/limits/corrections',
    {
      config: { roles: ['qa', 'admin'] },
      schema: {
        tags: ['locations'],
        description:
          "Retroactive correction of a location's limits, e-signed with its own meaning and a reason: the " +
          'versions in force from effectiveFrom (in the past; null = from the beginning) are replaced and ' +
          'the history is re-evaluated from there. A lock this would remove is not lifted but held pending ' +
          'review: only a signed disposition releases the stock.',
        params: z.object({ id: idSchema }),
        body: correctionBodySchema,
        response: { 200: locationView },
      },
    },
    async (req) =>
      change(req, req.params.id, req.body, 'correction', req.body.effectiveFrom ?? Number.NEGATIVE_INFINITY),
  );
  app.get(
    '/locations/:id/limits/versions',
    {
      schema: {
        tags: ['locations'],
        description:
          "Every version of a location's limits, oldest first: when each takes effect (effectiveFrom, data " +
          'time; null = from the beginning), how it came about (initial, change, correction), who made it ' +
          'and why, and which version replaced it (null while in force).',
        params: z.object({ id: idSchema }),
        response: { 200: z.array(limitsVersionView) },
      },
    },
    async (req) => {
      if (!(await store.getLocation(req.params.id))) {
        throw new ColdtraceError('not_found', `location ${req.params.id} not found`);
      }
      return (await specHistory<TempLimits>(store.db, 'location', req.params.id)).map(versionViewOf);
    },
  );
};
