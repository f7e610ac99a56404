import { errorMessage } from '@coldtrace/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { HealthCheck, HealthChecks, HealthSource } from '../../ingest/ingest-health.js';
import { probeStore } from '../../store/queries/store-probe.js';
import type { RouteDeps } from './deps.js';

/**
 * `/healthz` is liveness: 503 (`failed`) only when a restart would help; a failing dependency (the store, an
 * external broker, ingest falling behind) mends without one, so it answers 200 and says `degraded`, with
 * every check in the body. `/readyz` is readiness for load balancers and orchestrators: 503 (`not_ready`)
 * while any check fails, else 503 (`recovering`, with its progress) while the recovery a start began runs
 * (docs/operations.md "Health and readiness"); liveness does not wait for it. Both also read the store.
 */
export const healthRoutes: FastifyPluginAsync<
  RouteDeps & { metrics: Registry; health?: HealthSource | undefined }
> = async (app, { store, evaluator, metrics, health }) => {
  // The probe runs before the other checks are read: when it answers it may clear a commit that failed
  // because the database was unreachable (ingest-health.ts `probingStore`).
  const readyChecks = async (): Promise<HealthChecks> => {
    const answered = health?.probingStore?.();
    let probe: HealthCheck;
    try {
      await probeStore(store.db);
      answered?.();
      probe = { ok: true };
    } catch (err) {
      probe = { ok: false, detail: `the store does not answer: ${errorMessage(err)}` };
    }
    return { ...(health?.ready() ?? {}), store: probe };
  };
  const allOk = (checks: HealthChecks) => Object.values(checks).every((c) => c.ok);

  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    const live = health?.live() ?? {};
    const checks = { ...(await readyChecks()), ...live };
    const status = !allOk(live) ? 'failed' : allOk(checks) ? 'ok' : 'degraded';
    return reply.code(status === 'failed' ? 503 : 200).send({ status, checks });
  });
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const checks = await readyChecks();
    const recovery = evaluator.engine.recovery;
    const recovering = recovery.recovering ? { progress: recovery.progress() } : {};
    if (!allOk(checks)) return reply.code(503).send({ status: 'not_ready', checks, ...recovering });
    if (recovery.recovering) return reply.code(503).send({ status: 'recovering', checks, ...recovering });
    return reply.code(200).send({ status: 'ready', checks });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });
};
