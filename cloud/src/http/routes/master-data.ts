import { idSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { registerGateway } from '../../gateways/register-gateway.js';
import { webhookEndpointFields } from '../../integrations/webhook-endpoint.js';
import type { DomainServices } from '../domain-services.js';
import { actorOf } from '../views.js';
import type { RouteDeps } from './deps.js';

const portalBody = z
  .object({
    name: z.string().min(1).max(200),
    gatewayId: idSchema.nullable().default(null),
    from: idSchema.nullable().default(null),
    to: idSchema.nullable().default(null),
  })
  .strict();
const sensorBody = z
  .object({
    name: z.string().min(1).max(200),
    locationId: idSchema,
    gatewayId: idSchema.nullable().default(null),
  })
  .strict();
const webhookBody = webhookEndpointFields.extend({ enabled: z.boolean().default(true) }).strict();

/**
 * Portals, sensors, gateway credentials and webhook endpoints (docs/architecture.md "Master data",
 * "Integrations").
 */
export const masterDataRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { store, domain, wallClock },
) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const ds = domain.domainStore;
  const portalView = (p: Awaited<ReturnType<typeof ds.listPortals>>[number]) => ({
    id: p.id,
    name: p.name,
    gatewayId: p.gateway_id,
    from: p.from_location,
    to: p.to_location,
  });
  app.get('/portals', { schema: { tags: ['master data'] } }, async () =>
    (await ds.listPortals()).map(portalView),
  );
  app.put(
    '/portals/:id',
    {
      config: { roles: ['operator', 'admin'] },
      schema: { tags: ['master data'], params: z.object({ id: idSchema }), body: portalBody },
    },
    async (req) =>
      portalView(
        await ds.upsertPortal(
          {
            id: req.params.id,
            name: req.body.name,
            gateway_id: req.body.gatewayId,
            from_location: req.body.from,
            to_location: req.body.to,
          },
          actorOf(req),
          wallClock.now(),
        ),
      ),
  );
  const sensorView = (s: Awaited<ReturnType<typeof ds.listSensors>>[number]) => ({
    id: s.id,
    name: s.name,
    locationId: s.location_id,
    gatewayId: s.gateway_id,
  });
  app.get('/sensors', { schema: { tags: ['master data'] } }, async () =>
    (await ds.listSensors()).map(sensorView),
  );
  app.put(
    '/sensors/:id',
    {
      config: { roles: ['operator', 'admin'] },
      schema: { tags: ['master data'], params: z.object({ id: idSchema }), body: sensorBody },
    },
    async (req) =>
      sensorView(
        await ds.upsertSensor(
          {
            id: req.params.id,
            name: req.body.name,
            location_id: req.body.locationId,
            gateway_id: req.body.gatewayId,
          },
          actorOf(req),
          wallClock.now(),
        ),
      ),
  );

  app.post(
    '/gateways/:id/credentials',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['gateways'],
        description:
          'Registers the gateway (or re-keys it) and returns its MQTT secret once (like `coldtrace gateway add`).',
        params: z.object({ id: idSchema }),
        body: z
          .object({ name: z.string().max(200).optional() })
          .strict()
          .optional(),
      },
    },
    async (req, reply) => {
      // Registration and its audit entry (actor, before/after, secret not recorded): one transaction.
      const secret = await registerGateway(store, {
        id: req.params.id,
        name: req.body?.name ?? null,
        now: wallClock.now(),
        actor: actorOf(req),
      });
      return reply.code(201).send({ gatewayId: req.params.id, username: req.params.id, password: secret });
    },
  );

  const webhookView = (w: Awaited<ReturnType<typeof ds.listWebhooks>>[number]) => ({
    id: w.id,
    url: w.url,
    events: w.events === '*' ? '*' : w.events.split(','),
    enabled: w.enabled === 1,
  });
  app.get('/webhooks', { config: { roles: ['admin'] }, schema: { tags: ['integrations'] } }, async () =>
    (await ds.listWebhooks()).map(webhookView),
  );
  app.put(
    '/webhooks/:id',
    {
      config: { roles: ['admin'] },
      schema: { tags: ['integrations'], params: z.object({ id: idSchema }), body: webhookBody },
    },
    async (req) =>
      webhookView(
        await ds.upsertWebhook(
          {
            id: req.params.id,
            url: req.body.url,
            secret: req.body.secret,
            events: req.body.events === '*' ? '*' : req.body.events.join(','),
            enabled: req.body.enabled ? 1 : 0,
          },
          actorOf(req),
          wallClock.now(),
        ),
      ),
  );
};
