import { idSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { lockSubject } from '../../domain/locks/lock-subject.js';
import { pageRuleAlarms } from '../../store/queries/list-rule-alarms.js';
import type { Row } from '../../store/schema.js';
import { DEFAULT_PAGE, decodePageCursor, pageAnswer, pageParams, wantsPage } from '../list-page.js';
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
          'Alarms derived by lock rules (rate of change), newest first; overlapping [fromTs, toTs] if given. With ' +
          '`cursor` (or `limit`): one page, `{ items, nextCursor }`; without either, the newest 1000 as an array.',
        querystring: z.object({
          rule: z.enum(['rate_of_change']).optional(),
          locationId: idSchema.optional(),
          fromTs: z.coerce.number().int().optional(),
          toTs: z.coerce.number().int().optional(),
          ...pageParams(10_000),
        }),
        response: {
          200: z.union([
            z.array(ruleAlarmView),
            z.object({ items: z.array(ruleAlarmView), nextCursor: z.string().nullable() }),
          ]),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const paged = wantsPage(q);
      const page = await pageRuleAlarms(store.db, {
        ...q,
        after: q.cursor === undefined ? undefined : decodePageCursor(q.cursor, ['n', 's']),
        limit: paged ? (q.limit ?? DEFAULT_PAGE) : 1000,
      });
      const items = page.items.map(ruleAlarmViewOf);
      return paged ? pageAnswer(items, page.next) : items;
    },
  );
};
