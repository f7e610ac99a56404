import { idSchema } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { calibrationOf, calibrationProblem, calibrationState } from '../../domain/sensor-calibration.js';
import { registerGateway } from '../../gateways/register-gateway.js';
import { webhookEndpointFields } from '../../integrations/webhook-endpoint.js';
import { listCalibrationAlarms, passCalibrationAlarms } from '../../store/calibration-alarms.js';
import type { SensorInput } from '../../store/domain-store.js';
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
const calibrationBody = z
  .object({
    /** The calibration certificate's reference. */
    certificate: z.string().trim().min(1).max(200),
    /** When the sensor was calibrated (epoch ms). */
    calibratedAt: z.number().int().min(0),
    /** When the next calibration is due (epoch ms). */
    dueAt: z.number().int().min(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    const problem = calibrationProblem(c);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['dueAt'] });
  });
const sensorBody = z
  .object({
    name: z.string().min(1).max(200),
    locationId: idSchema,
    gatewayId: idSchema.nullable().default(null),
    /** The manufacturer's serial number. */
    serialNumber: z.string().trim().min(1).max(100).nullable().default(null),
    /** The current calibration (docs/domain.md "Sensor calibration"); null = none recorded. */
    calibration: calibrationBody.nullable().default(null),
  })
  .strict();
const webhookBody = webhookEndpointFields.extend({ enabled: z.boolean().default(true) }).strict();

/**
 * Portals, sensors, gateway credentials and webhook endpoints (docs/architecture.md "Master data",
 * "Integrations").
 */
export const masterDataRoutes: FastifyPluginAsync<RouteDeps & { domain: DomainServices }> = async (
  root,
  { store, domain, wallClock, clock },
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
  const sensorView = (s: SensorInput) => {
    const calibration = calibrationOf({
      calibration_certificate: s.calibration_certificate ?? null,
      calibrated_at: s.calibrated_at ?? null,
      calibration_due: s.calibration_due ?? null,
    });
    return {
      id: s.id,
      name: s.name,
      locationId: s.location_id,
      gatewayId: s.gateway_id,
      serialNumber: s.serial_number ?? null,
      calibration: calibration && {
        ...calibration,
        // Now, on the wall clock: a due date is a calendar date.
        state: calibrationState(calibration, wallClock.now()),
      },
    };
  };
  app.get(
    '/sensors',
    {
      schema: {
        tags: ['master data'],
        description:
          'Sensors with serial number and calibration (state now: unknown, valid, due_soon, overdue).',
        querystring: z
          .object({ calibration: z.enum(['overdue', 'due_soon', 'unknown']).optional() })
          .strict(),
      },
    },
    async (req) => {
      const all = (await ds.listSensors()).map(sensorView);
      const want = req.query.calibration;
      if (!want) return all;
      return all.filter((s) => (s.calibration?.state ?? 'unknown') === want);
    },
  );
  app.get(
    '/calibration-alarms',
    {
      schema: {
        tags: ['master data'],
        description:
          'Sensors whose calibration fell due: open alarms (raised once per sensor and due date, cleared by a new calibration); `all=true` includes cleared ones.',
        querystring: z.object({ all: z.enum(['true', 'false']).optional() }).strict(),
      },
    },
    async (req) =>
      (await listCalibrationAlarms(store.db, { includeCleared: req.query.all === 'true' })).map((a) => ({
        sensorId: a.sensor_id,
        sensorName: a.sensor_name,
        locationId: a.location_id,
        serialNumber: a.serial_number,
        certificate: a.certificate,
        dueAt: Number(a.due_at),
        raisedAt: Number(a.raised_at),
        clearedAt: a.cleared_at === null ? null : Number(a.cleared_at),
      })),
  );
  app.put(
    '/sensors/:id',
    {
      config: { roles: ['operator', 'admin'] },
      schema: { tags: ['master data'], params: z.object({ id: idSchema }), body: sensorBody },
    },
    async (req) => {
      const row = await ds.upsertSensor(
        {
          id: req.params.id,
          name: req.body.name,
          location_id: req.body.locationId,
          gateway_id: req.body.gatewayId,
          serial_number: req.body.serialNumber,
          calibration_certificate: req.body.calibration?.certificate ?? null,
          calibrated_at: req.body.calibration?.calibratedAt ?? null,
          calibration_due: req.body.calibration?.dueAt ?? null,
        },
        actorOf(req),
        wallClock.now(),
      );
      // A calibration already due raises its alarm now, a new one clears it (the periodic check does the same).
      await passCalibrationAlarms(store.db, wallClock.now(), clock.now());
      return sensorView(row);
    },
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
