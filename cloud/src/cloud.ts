import { type Clock, COLDTRACE_VERSION, systemClock } from '@coldtrace/shared';
import pino, { type Logger } from 'pino';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import { Activity } from './activity.js';
import { createSignatureVerifier } from './auth/signature-verifier.js';
import type { EmbeddedBroker } from './broker/embedded-broker.js';
import { rabbitmqAccess } from './broker/rabbitmq-config.js';
import { type CloudConfig, type CloudConfigInput, cloudConfigSchema } from './config.js';
import { seedConfiguredWebhooks } from './configured-webhooks.js';
import { CumulativeRule } from './domain/rules/cumulative-rule.js';
import { RateOfChangeRule } from './domain/rules/rate-of-change-rule.js';
import type { SignatureVerifier } from './domain/signature.js';
import { ExcursionEvaluator } from './engine/excursion-evaluator.js';
import { eventTargets } from './event-targets.js';
import { type App, buildApp } from './http/build-app.js';
import { createDomainServices } from './http/domain-services.js';
import { startAmqpSource } from './ingest/amqp-source.js';
import { amqplibConnect } from './ingest/amqplib-connect.js';
import { IngestHealth, ingestHealthSource } from './ingest/ingest-health.js';
import { IngestMetrics } from './ingest/ingest-metrics.js';
import type { IngestSource } from './ingest/ingest-source.js';
import { Ingestor } from './ingest/ingestor.js';
import { startMqttSubscriber } from './ingest/mqtt-subscriber.js';
import { publishToAll } from './integrations/mqtt-event-publisher.js';
import { OutboxDispatcher } from './integrations/outbox-dispatcher.js';
import { LagMetrics } from './metrics/lag-metrics.js';
import { type CalibrationModule, calibrationModule } from './modules/calibration-module.js';
import { type CloudModule, type StartedModules, startModules } from './modules/cloud-module.js';
import { evaluationModule } from './modules/evaluation-module.js';
import { moduleOf } from './modules/module-of.js';
import { SecurityEvents } from './security/security-events.js';
import { INFLUX_SINK, InfluxSink } from './sinks/influx-sink.js';
import { SinkOutbox } from './sinks/sink-outbox.js';
import { startConfiguredBroker } from './start-configured-broker.js';
import { CloudStore } from './store/cloud-store.js';
import { openDatabase } from './store/db.js';
import { readTlsFiles } from './tls/tls-files.js';
import { upkeepModules } from './upkeep-modules.js';

export interface Cloud {
  config: CloudConfig;
  store: CloudStore;
  ingestor: Ingestor;
  evaluator: ExcursionEvaluator;
  app: App;
  broker: EmbeddedBroker | undefined;
  /** The InfluxDB sink, when `influx` is configured. */
  influx: InfluxSink | undefined;
  /** Where the HTTP API listens, e.g. http://127.0.0.1:8080 */
  httpUrl: string;
  /** The embedded broker's URL for gateways, if embedded. */
  mqttUrl: string | undefined;
  log: Logger;
  /** Ingest and recomputation in progress (docs/scenarios.md "The two clocks" uses it to see rest). */
  activity: Activity;
  /** The modules running, in start order (docs/architecture.md "Cloud"). */
  modules: readonly string[];
  /** Sensor calibration alarms (`check()` runs a pass now). */
  calibration: CalibrationModule;
  /** Stops the modules in reverse order, then closes the store. */
  close(): Promise<void>;
}

/** Starts the cloud: store (migrated), then its modules in order: evaluation, broker(s), sinks, outbox, HTTP API. */
export async function startCloud(
  input: CloudConfigInput,
  deps: {
    /** The data clock: ingest, evaluation, derived changes, sinks and outbox (a scenario may run it fast). */
    clock?: Clock;
    /** Sessions, lockouts, e-signatures, people's actions, report times (docs/architecture.md "Time"). */
    wallClock?: Clock;
    log?: Logger;
    signatureVerifier?: SignatureVerifier;
  } = {},
): Promise<Cloud> {
  const config = cloudConfigSchema.parse(input);
  const clock = deps.clock ?? systemClock;
  const wallClock = deps.wallClock ?? systemClock;
  const log = deps.log ?? pino({ level: config.logLevel, name: 'cloud' });
  const opened = await openDatabase(config.database, {
    pool: config.databasePool,
    onConnectionError: (err) =>
      log.warn({ err, code: 'store_connection_lost' }, 'a database connection failed; the pool reconnects'),
  });
  const store = new CloudStore(opened);
  try {
    return await assemble(store, config, {
      clock,
      wallClock,
      log,
      signatureVerifier: deps.signatureVerifier,
    });
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** The cloud's parts, wired through their constructors, and the modules that start and stop them. */
async function assemble(
  store: CloudStore,
  config: CloudConfig,
  deps: { clock: Clock; wallClock: Clock; log: Logger; signatureVerifier: SignatureVerifier | undefined },
): Promise<Cloud> {
  const { clock, wallClock, log } = deps;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const moduleFailures = new Counter({
    name: 'coldtrace_cloud_module_failures_total',
    help: 'Cloud modules that failed to start (optional ones: the cloud runs on without them) or to stop',
    labelNames: ['module', 'phase'],
    registers: [registry],
  });
  const ingestMetrics = new IngestMetrics(registry);
  const lag = new LagMetrics({ registry, clock, db: store.db, poolStats: store.opened.poolStats });
  const security = new SecurityEvents(store.db, {
    registry,
    log: log.child({ component: 'security' }),
    clock: wallClock,
    config: config.auth.securityEvents,
    // The dispatcher is built below; an alert only happens once requests or MQTT logins arrive.
    outbox: { clock, kick: () => dispatcher.kick() },
  });
  const activity = new Activity();

  let broker: EmbeddedBroker | undefined;
  const ext = config.mqtt.external;
  const { mqttTargets, externalEvents, rabbitEvents } = eventTargets(config, log, () => broker);
  const dispatcher = new OutboxDispatcher({
    db: store.db,
    dialect: store.opened.dialect,
    clock,
    log: log.child({ component: 'outbox' }),
    publishMqtt: publishToAll(mqttTargets),
    pollMs: config.integrations.outboxPollMs,
  });
  const evaluator = new ExcursionEvaluator({
    store,
    clock,
    log,
    debounceMs: config.evaluation.debounceMs,
    chunkReadings: config.evaluation.chunkReadings,
    urgentLane: config.evaluation.urgentLane,
    activity,
    onEvents: () => dispatcher.kick(),
    // The lock rules beside excursions (docs/architecture.md "Lock rules").
    rules: [
      new CumulativeRule(),
      ...(config.evaluation.rateOfChange.length > 0
        ? [new RateOfChangeRule(config.evaluation.rateOfChange)]
        : []),
    ],
  });
  const ingestHealth = new IngestHealth({ clock: wallClock, maxLagMs: config.ingest.maxLagMs });
  const ingestor = new Ingestor({
    store,
    clock,
    log,
    metrics: ingestMetrics,
    lag,
    activity,
    eventTimes: config.ingest,
    health: ingestHealth,
    scans: config.ingest.scans,
    onReadings: (locations, windows) => evaluator.markDirty(locations, windows),
    onMovements: (epcs) => evaluator.engine.markEpcs(epcs),
  });
  const domain = createDomainServices(
    evaluator.engine,
    deps.signatureVerifier ?? createSignatureVerifier(store, { clock: wallClock, security }),
    dispatcher,
  );
  const influx = config.influx
    ? new InfluxSink({
        db: store.db,
        dialect: store.opened.dialect,
        config: config.influx,
        clock,
        log: log.child({ component: 'influx' }),
        registry,
      })
    : undefined;
  let sub: Awaited<ReturnType<typeof startMqttSubscriber>> | undefined;
  const rabbit = config.mqtt.rabbitmq;
  let amqp: IngestSource | undefined;
  const app = await buildApp({
    domain,
    store,
    evaluator,
    clock,
    wallClock,
    logger: log.child({ component: 'http' }),
    metrics: registry,
    version: COLDTRACE_VERSION,
    health: ingestHealthSource(ingestHealth, {
      embedded: config.mqtt.embedded.enabled ? () => broker : undefined,
      external: ext ? () => sub : undefined,
      rabbitmq: rabbit ? () => amqp : undefined,
    }),
    auth: config.auth,
    security,
    epcisBaseUri: config.epcis.baseUri,
    ingestor,
    https: config.http.tls ? readTlsFiles('http.tls', config.http.tls) : undefined,
    trustProxy: config.http.trustProxy,
    brokerAuth: rabbit
      ? {
          ...rabbitmqAccess(rabbit),
          serviceAccounts: config.mqtt.serviceAccounts,
          queuePrefix: rabbit.queuePrefix,
          allowFrom: rabbit.authFrom,
        }
      : undefined,
  });
  let httpUrl = '';

  const calibration = calibrationModule({
    db: store.db,
    wallClock,
    clock,
    registry,
    log: log.child({ component: 'calibration' }),
    onEvents: () => dispatcher.kick(),
  });
  const upkeep = upkeepModules({
    config,
    store,
    wallClock,
    log,
    registry,
    recovery: evaluator.engine.recovery,
  });
  const modules: CloudModule[] = [
    ...upkeep.checkpoints,
    evaluationModule({
      evaluator,
      clock,
      wallClock,
      log,
      nodeHeartbeatMs: config.evaluation.nodeHeartbeatMs,
      registry,
    }),
    ...upkeep.partitions,
  ];
  if (config.mqtt.embedded.enabled) {
    modules.push(
      moduleOf(
        'embedded broker',
        true,
        async () => {
          broker = await startConfiguredBroker(config, {
            store,
            ingestor,
            log,
            ingestMetrics,
            security,
            wallClock,
          });
        },
        () => broker?.close(),
      ),
    );
  }
  if (ext) {
    modules.push(
      moduleOf(
        'external broker ingest',
        true,
        async () => {
          sub = await startMqttSubscriber({ ...ext, ingestor, log: log.child({ component: 'subscriber' }) });
        },
        () => sub?.close(),
      ),
    );
  }
  if (rabbit) {
    modules.push(
      moduleOf(
        'rabbitmq ingest',
        true,
        async () => {
          // Resolves at once even while RabbitMQ is unreachable: it reconnects with backoff, and /readyz
          // says why it is not consuming.
          amqp = await startAmqpSource({
            url: rabbit.amqpUrl,
            prefetch: rabbit.prefetch,
            queuePrefix: rabbit.queuePrefix,
            partitions: rabbit.partitions,
            ingestor,
            log: log.child({ component: 'amqp' }),
            connect: amqplibConnect,
            onQueueDepth: (queue, messages) => lag.queueDepth(queue, messages),
            queueDepthIntervalMs: rabbit.queueDepthIntervalMs,
          });
        },
        () => amqp?.close(),
      ),
    );
  }
  if (externalEvents)
    modules.push(
      moduleOf(
        'external broker events',
        false,
        () => {},
        () => externalEvents.close(),
      ),
    );
  if (rabbitEvents)
    modules.push(
      moduleOf(
        'rabbitmq events',
        false,
        () => rabbitEvents.start(),
        () => rabbitEvents.close(),
      ),
    );
  modules.push(
    influx
      ? moduleOf(
          'influx sink',
          false,
          () => influx.start(),
          () => influx.close(),
        )
      : // Not configured: stop enqueueing and drop its queue, so a disabled sink holds no disk.
        moduleOf(
          'influx sink (disabled)',
          false,
          () => new SinkOutbox(store.db, INFLUX_SINK).setEnabled(false, clock.now()),
          () => {},
        ),
    moduleOf(
      'outbox dispatcher',
      true,
      () => dispatcher.start(),
      () => dispatcher.close(),
    ),
    calibration,
    ...upkeep.retention,
    moduleOf(
      'webhooks from config',
      true,
      async () => {
        await seedConfiguredWebhooks(domain.domainStore, config.integrations.webhooks, clock.now());
      },
      () => {},
    ),
    moduleOf(
      'http',
      true,
      async () => {
        const address = await app.listen({ host: config.http.host, port: config.http.port });
        const port = new URL(address).port;
        httpUrl = `${config.http.tls ? 'https' : 'http'}://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${port}`;
      },
      () => app.close(),
    ),
  );
  let running: StartedModules;
  try {
    running = await startModules(modules, {
      log,
      onFailure: (module, phase) => moduleFailures.inc({ module, phase }),
    });
  } catch (err) {
    await app.close().catch(() => {});
    throw err;
  }
  log.info({ httpUrl, mqttUrl: broker?.url, modules: running.names }, 'coldtrace cloud started');
  return {
    config,
    store,
    ingestor,
    evaluator,
    app,
    broker,
    influx,
    httpUrl,
    mqttUrl: broker?.url,
    log,
    activity,
    modules: running.names,
    calibration,
    async close() {
      await running.stop();
      // Burst counts not yet stated go on the trail before the store closes.
      await security.flush();
      await store.close();
    },
  };
}
