import { idSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { lockSubject } from '../../domain/locks/lock-subject.js';
import { listRuleAlarms } from '../../store/queries/list-rule-alarms.js';
import type { Row } from '../../store/schema.js';
import type { RouteDeps } from './deps.js';

const ruleAlarmView = z.object({
  /** The public id its locks and dispositions use (`rate:<location>@<start>`). */
  id: z.string(),
  rule: z.string(),
  locationId: z.string(),
  fromTs: z.number(),
  toTs: z.number(),
  /** What the rule found (e.g. peak rise in °C, sensors, the profile's rate and window). */
  detail: z.record(z.string(), z.unknown()),
  createdAt: z.number(),
  updatedAt: z.number(),
});

function ruleAlarmViewOf(a: Row<'rule_alarms'>): z.infer<typeof ruleAlarmView> {
  return {
    id: lockSubject(a.rule, a.id),
    rule: a.rule,
    locationId: a.location_id,
    fromTs: a.from_ts,
    toTs: a.to_ts,
    detail: JSON.parse(a.detail_json) as Record<string, unknown>,
    createdAt: a.created_at,
    updatedAt: a.updated_at,
  };
}

/** Alarms the lock rules raised from the readings (docs/architecture.md "Lock rules"), e.g. a fast rise. */
export const ruleAlarmRoutes: FastifyPluginAsync<RouteDeps> = async (root, { store }) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/rule-alarms',
    {
      schema: {
        tags: ['excursions'],
        description:
          'Alarms derived by lock rules (rate of change), newest first; overlapping [fromTs, toTs] if given.',
        querystring: z.object({
          rule: z.enum(['rate_of_change']).optional(),
          locationId: idSchema.optional(),
          fromTs: z.coerce.number().int().optional(),
          toTs: z.coerce.number().int().optional(),
          limit: z.coerce.number().int().min(1).max(10_000).default(1000),
        }),
        response: { 200: z.array(ruleAlarmView) },
      },
    },
    async (req) => (await listRuleAlarms(store.db, req.query)).map(ruleAlarmViewOf),
  );
};
