import { type Clock, COLDTRACE_VERSION, systemClock } from '@coldtrace/shared';
import pino, { type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Activity } from './activity.js';
import { createSignatureVerifier } from './auth/signature-verifier.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './broker/embedded-broker.js';
import { DEFAULT_FRAME_LIMITS } from './broker/mqtt-frame-scanner.js';
import { type CloudConfig, type CloudConfigInput, cloudConfigSchema } from './config.js';
import { CumulativeEvaluator } from './domain/cumulative-evaluator.js';
import { createDomainServices } from './domain/domain-services.js';
import { ExcursionEvaluator } from './domain/excursion-evaluator.js';
import type { SignatureVerifier } from './domain/signature.js';
import { type App, buildApp } from './http/build-app.js';
import { IngestMetrics } from './ingest/ingest-metrics.js';
import { Ingestor } from './ingest/ingestor.js';
import { startMqttSubscriber } from './ingest/mqtt-subscriber.js';
import {
  type PublishMqtt,
  publishToAll,
  startMqttEventPublisher,
} from './integrations/mqtt-event-publisher.js';
import { OutboxDispatcher } from './integrations/outbox-dispatcher.js';
import { INFLUX_SINK, InfluxSink } from './sinks/influx-sink.js';
import { SinkOutbox } from './sinks/sink-outbox.js';
import { CloudStore } from './store/cloud-store.js';
import { openDatabase } from './store/db.js';
import type { DomainStore } from './store/domain-store.js';

export interface Cloud {
  config: CloudConfig;
  store: CloudStore;
  ingestor: Ingestor;
  evaluator: ExcursionEvaluator;
  /** Products' cumulative rules (docs/domain.md "Cumulative rules"): locks units that reached one. */
  cumulative: CumulativeEvaluator;
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
  close(): Promise<void>;
}

/**
 * Seeds the webhook endpoints of `integrations.webhooks` (docs/domain.md "Integrations"): an endpoint
 * missing or different in the table is upserted (audited as actor `config`); an unchanged one is left
 * alone, so a restart adds no audit entry. Endpoints not in the config (managed through the API) stay.
 */
export async function seedConfiguredWebhooks(
  ds: DomainStore,
  webhooks: CloudConfig['integrations']['webhooks'],
  now: number,
): Promise<number> {
  const stored = new Map((await ds.listWebhooks()).map((w) => [w.id, w]));
  let changed = 0;
  for (const w of webhooks) {
    const row = {
      id: w.id,
      url: w.url,
      secret: w.secret,
      events: w.events === '*' ? '*' : w.events.join(','),
      enabled: 1,
    };
    const s = stored.get(w.id);
    if (s && s.url === row.url && s.secret === row.secret && s.events === row.events && s.enabled === 1)
      continue;
    await ds.upsertWebhook(row, 'config', now);
    changed += 1;
  }
  return changed;
}

/** Age after which an evaluation mark counts as left behind by a dead process (periodic sweep). */
const MARK_SWEEP_AGE_MS = 120_000;

/** Starts the cloud: store (migrated), ingest, excursion evaluation, broker(s) and the HTTP API. */
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
    onConnectionError: (err) =>
      log.warn({ err, code: 'store_connection_lost' }, 'a database connection failed; the pool reconnects'),
  });
  const store = new CloudStore(opened);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const ingestMetrics = new IngestMetrics(registry);
  const activity = new Activity();
  const evaluator = new ExcursionEvaluator({
    store,
    clock,
    log,
    debounceMs: config.evaluation.debounceMs,
    activity,
  });
  const cumulative = new CumulativeEvaluator({
    engine: evaluator.engine,
    clock,
    log,
    debounceMs: config.evaluation.debounceMs,
    activity,
  });
  const ingestor = new Ingestor({
    store,
    clock,
    log,
    metrics: ingestMetrics,
    activity,
    onReadings: (locations, windows) => {
      evaluator.markDirty(locations, windows);
      cumulative.markReadings(windows);
    },
    onMovements: (epcs) => {
      evaluator.engine.markEpcs(epcs);
      cumulative.markEpcs(epcs);
    },
  });

  const closers: Array<() => Promise<void>> = [];
  let broker: EmbeddedBroker | undefined;
  try {
    // Evaluation marks left by a process that died between an acknowledged commit and its evaluation
    // (docs/domain.md "Evaluation marks"): marked dirty before ingest starts, recomputed while serving.
    await evaluator.engine.recoverMarks();
    // The cumulative rules' pending work is not durable: recompute every ruled unit once at start.
    await cumulative.markAllRuled();
    if (config.mqtt.embedded.enabled) {
      broker = await startEmbeddedBroker({
        host: config.mqtt.embedded.host,
        port: config.mqtt.embedded.port,
        store,
        ingestor,
        log: log.child({ component: 'broker' }),
        serviceAccounts: config.mqtt.serviceAccounts,
        onAuthFailure: (reason) => ingestMetrics.authFailure(reason),
        frameLimits: { ...DEFAULT_FRAME_LIMITS, maxPacketBytes: config.mqtt.embedded.maxPacketBytes },
        onFrameViolation: (code) => ingestMetrics.frameViolation(code),
      });
      closers.push(() => broker!.close());
    }
    if (config.mqtt.external) {
      const sub = await startMqttSubscriber({
        ...config.mqtt.external,
        ingestor,
        log: log.child({ component: 'subscriber' }),
      });
      closers.push(() => sub.close());
    }
    let influx: InfluxSink | undefined;
    if (config.influx) {
      influx = new InfluxSink({
        db: store.db,
        config: config.influx,
        clock,
        log: log.child({ component: 'influx' }),
        registry,
      });
      await influx.start();
      closers.push(() => influx!.close());
    } else {
      // Not configured: stop enqueueing and drop its queue, so a disabled sink holds no disk.
      await new SinkOutbox(store.db, INFLUX_SINK).setEnabled(false, clock.now());
    }
    // Integration events (lock/unlock/disposition): webhooks and MQTT from the durable outbox, on every
    // configured broker (embedded aedes and/or the external one); with none, MQTT rows stay pending.
    const embedded = broker;
    const publishers: PublishMqtt[] = [];
    if (embedded)
      publishers.push(
        (topic, payload) =>
          new Promise<void>((resolve, reject) =>
            embedded.aedes.publish(
              { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false },
              (err) => (err ? reject(err) : resolve()),
            ),
          ),
      );
    if (config.mqtt.external) {
      const ext = config.mqtt.external;
      const events = startMqttEventPublisher({
        url: ext.url,
        username: ext.username,
        password: ext.password,
        clientId: `${ext.clientId}-events`,
        log: log.child({ component: 'mqtt-events' }),
      });
      closers.push(() => events.close());
      publishers.push(events.publish);
    }
    const dispatcher = new OutboxDispatcher({
      db: evaluator.engine.db,
      dialect: store.opened.dialect,
      clock,
      log: log.child({ component: 'outbox' }),
      publishMqtt: publishToAll(publishers),
      pollMs: config.integrations.outboxPollMs,
    });
    evaluator.engine.opts.onEvents = () => dispatcher.kick();
    dispatcher.start();
    closers.push(() => dispatcher.close());
    const domain = createDomainServices(
      evaluator.engine,
      deps.signatureVerifier ?? createSignatureVerifier(store, { clock: wallClock }),
      dispatcher,
      cumulative,
    );
    await seedConfiguredWebhooks(domain.domainStore, config.integrations.webhooks, clock.now());
    const app = await buildApp({
      domain,
      store,
      evaluator,
      clock,
      wallClock,
      logger: log.child({ component: 'http' }),
      metrics: registry,
      version: COLDTRACE_VERSION,
      health: () => ({ broker: broker ? !broker.aedes.closed : true }),
      auth: config.auth,
      epcisBaseUri: config.epcis.baseUri,
      ingestor,
    });
    const address = await app.listen({ host: config.http.host, port: config.http.port });
    closers.push(() => app.close());
    // Marks another ingestor process (PostgreSQL) left when it died are picked up within a few minutes.
    const sweep = clock.setInterval(() => {
      evaluator.engine
        .recoverMarks({ createdBefore: clock.now() - MARK_SWEEP_AGE_MS })
        .catch((err) => log.warn({ err }, 'evaluation mark sweep failed'));
    }, MARK_SWEEP_AGE_MS);
    closers.push(async () => clock.clearInterval(sweep));
    const cumulativeSweep = clock.setInterval(() => {
      cumulative.markAllRuled().catch((err) => log.warn({ err }, 'cumulative rule sweep failed'));
    }, config.evaluation.cumulativeSweepMs);
    closers.push(async () => clock.clearInterval(cumulativeSweep));
    const port = new URL(address).port;
    const httpUrl = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${port}`;
    log.info({ httpUrl, mqttUrl: broker?.url }, 'coldtrace cloud started');
    return {
      config,
      store,
      ingestor,
      evaluator,
      cumulative,
      app,
      broker,
      influx,
      httpUrl,
      mqttUrl: broker?.url,
      log,
      activity,
      async close() {
        for (const close of closers.reverse())
          await close().catch((err) => log.warn({ err }, 'close failed'));
        await cumulative.close();
        await evaluator.close();
        await evaluator.flush().catch(() => {});
        await cumulative.flush().catch(() => {});
        await store.close();
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {});
    await store.close();
    throw err;
  }
}
