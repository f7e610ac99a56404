import { ColdtraceError, idSchema, statusSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteDeps } from './deps.js';

const epochField = z
  .string()
  .optional()
  .describe('the gateway buffer epoch these sequence numbers belong to (absent for gateways that send none)');

/** A gateway stream that restarted at sequence 1 under a new buffer epoch (docs/durability.md "Epoch"). */
const sequenceResetView = z
  .object({
    at: z.number().describe('when the cloud received the first batch of the new epoch (epoch ms)'),
    fromEpoch: z.string(),
    toEpoch: z.string(),
    previousHighWater: z
      .number()
      .describe(
        'high water of the replaced epoch at the reset: records above it the gateway had not had acknowledged are lost with its buffer',
      ),
  })
  .describe('sequence reset: the gateway buffer was lost or replaced');

/** Records sent under numbers already stored for other records, kept in a fork of the epoch. */
const sequenceReuseView = z
  .object({
    fork: z.string().describe('the fork: <epoch>~<n>'),
    epochIndex: z.number().describe('stored record seq = epochIndex × 2^40 + wire seq'),
    at: z.number().describe('when the cloud received the first reused record (epoch ms)'),
    records: z.number().describe('records stored in this fork'),
  })
  .describe(
    'sequence reuse: the gateway buffer was rolled back (restored from a backup); no record was discarded',
  );

const gatewayView = z.object({
  id: z.string(),
  name: z.string().nullable(),
  online: z.boolean(),
  statusAt: z.number().nullable(),
  status: statusSchema.nullable(),
  dataGaps: z.array(z.object({ stream: z.string(), from: z.number(), to: z.number(), epoch: epochField })),
  highWater: z.record(z.string(), z.number()).describe('per stream, in the current buffer epoch'),
  sequenceResets: z.array(sequenceResetView.extend({ stream: z.string() })),
  sequenceReuses: z.array(sequenceReuseView.extend({ stream: z.string(), epoch: epochField })),
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
      dataGaps: coverage.flatMap((c) =>
        c.holes.map((h) => ({ stream: c.stream, ...h, ...(c.epoch ? { epoch: c.epoch } : {}) })),
      ),
      // Coverage lists the current epoch of each stream first.
      highWater: Object.fromEntries(coverage.toReversed().map((c) => [c.stream, c.highWater])),
      sequenceResets: coverage
        .flatMap((c) => (c.sequenceReset ? [{ stream: c.stream, ...c.sequenceReset }] : []))
        .sort((a, b) => a.at - b.at || a.stream.localeCompare(b.stream)),
      sequenceReuses: coverage
        .flatMap((c) =>
          (c.sequenceReuses ?? []).map((r) => ({
            stream: c.stream,
            ...(c.epoch ? { epoch: c.epoch } : {}),
            ...r,
          })),
        )
        .sort((a, b) => a.at - b.at || a.stream.localeCompare(b.stream)),
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
          'Sequence holes per gateway stream and buffer epoch (current epoch first): records sent but not (yet) ' +
          'received. They close when replay fills them. Each epoch counts from 1; an epoch that replaced another ' +
          'carries its `sequenceReset` marker (the gateway buffer was lost or replaced); an epoch whose numbers ' +
          'were reused for other records lists the forks that keep them (`sequenceReuses`).',
        response: {
          200: z.array(
            z.object({
              gatewayId: z.string(),
              stream: z.string(),
              highWater: z.number(),
              thinned: z.number(),
              holes: z.array(z.object({ from: z.number(), to: z.number() })),
              epoch: epochField,
              epochIndex: z
                .number()
                .optional()
                .describe('k-th epoch seen for this stream, from 0; stored record seq = k × 2^40 + seq'),
              sequenceReset: sequenceResetView.optional(),
              sequenceReuses: z.array(sequenceReuseView).optional(),
            }),
          ),
        },
      },
    },
    async () => store.coverage(),
  );
};
