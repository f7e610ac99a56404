import { ColdtraceError, idSchema, statusSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteDeps } from './deps.js';

const gatewayView = z.object({
  id: z.string(),
  name: z.string().nullable(),
  online: z.boolean(),
  statusAt: z.number().nullable(),
  status: statusSchema.nullable(),
  dataGaps: z.array(z.object({ stream: z.string(), from: z.number(), to: z.number() })),
  highWater: z.record(z.string(), z.number()),
});

export const gatewayRoutes: FastifyPluginAsync<RouteDeps> = async (root, { store }) => {
  const app = root.withTypeProvider<ZodTypeProvider>();

  const view = async (g: NonNullable<Awaited<ReturnType<typeof store.getGateway>>>) => {
    const coverage = await store.coverage(g.id);
    const parsed = g.status_json ? statusSchema.safeParse(JSON.parse(g.status_json)) : null;
    return {
      id: g.id,
      name: g.name,
      online: g.online === 1,
      statusAt: g.status_at,
      status: parsed?.success ? parsed.data : null,
      dataGaps: coverage.flatMap((c) => c.holes.map((h) => ({ stream: c.stream, ...h }))),
      highWater: Object.fromEntries(coverage.map((c) => [c.stream, c.highWater])),
    };
  };

  app.get(
    '/gateways',
    { schema: { tags: ['gateways'], response: { 200: z.array(gatewayView) } } },
    async () => Promise.all((await store.listGateways()).map(view)),
  );

  app.get(
    '/gateways/:id',
    { schema: { tags: ['gateways'], params: z.object({ id: idSchema }), response: { 200: gatewayView } } },
    async (req) => {
      const g = await store.getGateway(req.params.id);
      if (!g) throw new ColdtraceError('not_found', `gateway ${req.params.id} not found`);
      return view(g);
    },
  );

  app.get(
    '/data-gaps',
    {
      schema: {
        tags: ['gateways'],
        description:
          'Sequence holes per gateway stream: records sent but not (yet) received. They close when replay fills them.',
        response: {
          200: z.array(
            z.object({
              gatewayId: z.string(),
              stream: z.string(),
              highWater: z.number(),
              thinned: z.number(),
              holes: z.array(z.object({ from: z.number(), to: z.number() })),
            }),
          ),
        },
      },
    },
    async () => store.coverage(),
  );
};
