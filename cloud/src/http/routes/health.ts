import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { RouteDeps } from './deps.js';

export const healthRoutes: FastifyPluginAsync<
  RouteDeps & { metrics: Registry; health?: (() => Record<string, boolean>) | undefined }
> = async (app, { store, metrics, health }) => {
  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    const checks: Record<string, boolean> = { ...(health?.() ?? {}) };
    try {
      await store.db.selectFrom('gateways').select('id').limit(1).execute();
      checks.store = true;
    } catch {
      checks.store = false;
    }
    const ok = Object.values(checks).every(Boolean);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', checks });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });
};
