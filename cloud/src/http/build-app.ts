import { type Clock, ColdtraceError, httpStatusOf, systemClock } from '@coldtrace/shared';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry as PromRegistry, type Registry } from 'prom-client';
import { type AuthConfigInput, authConfigSchema } from '../auth/auth-config.js';
import { installAuth } from '../auth/auth-plugin.js';
import { AuthService } from '../auth/auth-service.js';
import { createSignatureVerifier } from '../auth/signature-verifier.js';
import { installTransportHeaders } from '../auth/transport-security.js';
import type { ExcursionEvaluator } from '../engine/excursion-evaluator.js';
import type { HealthSource } from '../ingest/ingest-health.js';
import type { Ingestor } from '../ingest/ingestor.js';
import { pageRoutes } from '../pages/pages.js';
import { SecurityEvents } from '../security/security-events.js';
import type { CloudStore } from '../store/cloud-store.js';
import { createDomainServices, type DomainServices } from './domain-services.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { type BrokerAuthOptions, brokerAuthRoutes } from './routes/broker-auth.js';
import { dispositionRoutes } from './routes/dispositions.js';
import { epcisRoutes } from './routes/epcis.js';
import { epcRoutes } from './routes/epcs.js';
import { excursionRoutes } from './routes/excursions.js';
import { gatewayRoutes } from './routes/gateways.js';
import { healthRoutes } from './routes/health.js';
import { hibcLinkRoutes } from './routes/hibc-links.js';
import { locationRoutes } from './routes/locations.js';
import { lockRoutes } from './routes/locks.js';
import { lotRoutes } from './routes/lots.js';
import { masterDataRoutes } from './routes/master-data.js';
import { productRoutes } from './routes/products.js';
import { receivingRoutes } from './routes/receiving.js';
import { rejectedStockRoutes } from './routes/rejected-stock.js';
import { reportRoutes } from './routes/reports.js';
import { ruleAlarmRoutes } from './routes/rule-alarms.js';
import { scanRoutes } from './routes/scans.js';
import { summaryRoutes } from './routes/summary.js';
import { telemetryRoutes } from './routes/telemetry.js';
import { userRoutes } from './routes/users.js';

export interface AppOptions {
  store: CloudStore;
  evaluator: ExcursionEvaluator;
  /** The data clock (default the system clock). */
  clock?: Clock;
  /**
   * The wall clock of sessions, lockouts, e-signatures, people's actions and report times (default the
   * system clock; docs/architecture.md "Time").
   */
  wallClock?: Clock;
  logger?: Logger | boolean;
  metrics?: Registry;
  version?: string;
  /** Liveness and readiness checks of the cloud's parts for /healthz and /readyz (broker, ingest). */
  health?: HealthSource;
  /** Sessions, lockout, login rate limit, cookie flags (21 CFR 11.10(d), 11.300(d)). */
  auth?: AuthConfigInput;
  /**
   * Domain engine services (docs/architecture.md "Semantics"); default: over `evaluator.engine` with the
   * users' e-signatures.
   */
  domain?: DomainServices;
  /** Base of the EPCIS export's private identifiers (config `epcis.baseUri`; docs/epcis.md). */
  epcisBaseUri?: string;
  /**
   * Records security events (audit trail, log, `coldtrace_security_events_total`); default: one over
   * `store` counting into `metrics`.
   */
  security?: SecurityEvents;
  /** The ingest pipeline, for replaying dead letters (`POST /dead-letters/{id}/replay`); absent: 503. */
  ingestor?: Ingestor;
  /** Serve HTTPS with this PEM certificate and key (config `http.tls`). */
  https?: { cert: Buffer | string; key: Buffer | string } | undefined;
  /** Proxies trusted for `X-Forwarded-Proto`/`-For` (config `http.trustProxy`; Fastify `trustProxy`). */
  trustProxy?: boolean | string | string[] | undefined;
  /** RabbitMQ's HTTP auth backend (config `mqtt.rabbitmq`): `POST /broker/auth/*`; absent, not served. */
  brokerAuth?: Omit<BrokerAuthOptions, 'store' | 'security'> | undefined;
}

export type App = FastifyInstance;

/**
 * Router errors (an over-long id, broken percent-encoding) answer in our error shape like every other
 * bad request, instead of Fastify's own.
 */
const SERVER_OPTIONS = {
  bodyLimit: 1024 * 1024,
  routerOptions: { maxParamLength: 256 },
  frameworkErrors: ((err, _req, reply) => {
    (reply as unknown as { code(n: number): { send(b: unknown): void } })
      .code(400)
      .send({ error: 'invalid', message: err.message });
  }) satisfies FastifyServerOptions['frameworkErrors'],
};

/** Builds the Fastify app without listening (tests use `app.inject()`). */
export async function buildApp(opts: AppOptions): Promise<App> {
  const server = {
    ...SERVER_OPTIONS,
    trustProxy: opts.trustProxy ?? false,
    ...(opts.https ? { https: { cert: opts.https.cert, key: opts.https.key } } : {}),
  };
  const app = (typeof opts.logger === 'object'
    ? Fastify({ loggerInstance: opts.logger, ...server })
    : Fastify({ logger: opts.logger ?? false, ...server })) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const metrics = opts.metrics ?? new PromRegistry();
  if (!opts.metrics) collectDefaultMetrics({ register: metrics });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'coldtrace API', version: opts.version ?? '0.0.0' },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.setErrorHandler((err, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      return reply.code(400).send({
        error: 'invalid',
        message: err.validation.map((v) => `${v.instancePath || '(root)'}: ${v.message}`).join('; '),
      });
    }
    if (err instanceof ColdtraceError) {
      // The registry (shared/src/error-codes.ts) gives each code its status; a code no request should
      // cause is a server fault (500) and is logged as one.
      const status = httpStatusOf(err.code);
      if (status >= 500) req.log.error({ err }, 'request failed');
      return reply.code(status).send({ error: err.code, message: err.message, ...err.details });
    }
    const status = (err as { statusCode?: number }).statusCode;
    const message = err instanceof Error ? err.message : String(err);
    if (status && status < 500) return reply.code(status).send({ error: 'invalid', message });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}` }),
  );

  const deps = {
    store: opts.store,
    evaluator: opts.evaluator,
    clock: opts.clock ?? systemClock,
    wallClock: opts.wallClock ?? systemClock,
  };
  // Authentication and authorization for /api/v1 and the pages (docs/qa-pages.md); before every route.
  const authConfig = authConfigSchema.parse(opts.auth ?? {});
  const security =
    opts.security ??
    new SecurityEvents(opts.store.db, {
      registry: metrics,
      log: app.log as Logger,
      clock: deps.wallClock,
      config: authConfig.securityEvents,
      outbox: { clock: deps.clock },
    });
  const auth = new AuthService(opts.store.db, authConfig, deps.wallClock, security);
  installTransportHeaders(app, authConfig.cookieSecure);
  await installAuth(app, auth, authConfig);
  await app.register(authRoutes, { auth, config: authConfig, prefix: '/api/v1' });
  await app.register(userRoutes, { auth, config: authConfig, prefix: '/api/v1' });
  await app.register(pageRoutes, { auth });
  await app.register(healthRoutes, { ...deps, metrics, health: opts.health });
  await app.register(gatewayRoutes, { ...deps, prefix: '/api/v1' });
  await app.register(telemetryRoutes, { ...deps, ingestor: opts.ingestor, prefix: '/api/v1' });
  if (opts.brokerAuth) {
    await app.register(brokerAuthRoutes, { ...opts.brokerAuth, store: opts.store, security });
  }
  const domain =
    opts.domain ??
    createDomainServices(
      opts.evaluator.engine,
      createSignatureVerifier(opts.store, { clock: deps.wallClock, security }),
    );
  for (const routes of [
    locationRoutes,
    masterDataRoutes,
    productRoutes,
    hibcLinkRoutes,
    lotRoutes,
    epcRoutes,
    excursionRoutes,
    lockRoutes,
    ruleAlarmRoutes,
    summaryRoutes,
    dispositionRoutes,
    rejectedStockRoutes,
    scanRoutes,
    receivingRoutes,
    auditRoutes,
  ]) {
    await app.register(routes, { ...deps, domain, prefix: '/api/v1' });
  }
  await app.register(reportRoutes, { ...deps, domain, prefix: '/api/v1' });
  await app.register(epcisRoutes, { ...deps, domain, baseUri: opts.epcisBaseUri, prefix: '/api/v1' });
  return app;
}
