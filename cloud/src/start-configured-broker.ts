import type { Clock } from '@coldtrace/shared';
import type { Logger } from 'pino';
import { type EmbeddedBroker, startEmbeddedBroker } from './broker/embedded-broker.js';
import { DEFAULT_FRAME_LIMITS } from './broker/mqtt-frame-scanner.js';
import type { CloudConfig } from './config.js';
import type { IngestMetrics } from './ingest/ingest-metrics.js';
import type { Ingestor } from './ingest/ingestor.js';
import { mqttRefusalEvent, type SecurityEvents } from './security/security-events.js';
import type { CloudStore } from './store/cloud-store.js';
import { readTlsFiles } from './tls/tls-files.js';

/**
 * The embedded broker of `mqtt.embedded`, its refusals and frame violations counted in the ingest metrics
 * and refused logins on the security trail. Connection limits use the wall clock (security times).
 */
export function startConfiguredBroker(
  config: CloudConfig,
  d: {
    store: CloudStore;
    ingestor: Ingestor;
    log: Logger;
    ingestMetrics: IngestMetrics;
    security: SecurityEvents;
    wallClock: Clock;
  },
): Promise<EmbeddedBroker> {
  const e = config.mqtt.embedded;
  return startEmbeddedBroker({
    host: e.host,
    port: e.port,
    store: d.store,
    ingestor: d.ingestor,
    log: d.log.child({ component: 'broker' }),
    serviceAccounts: config.mqtt.serviceAccounts,
    onAuthFailure: (reason) => d.ingestMetrics.authFailure(reason),
    onAuthRefused: (r) => void d.security.record(mqttRefusalEvent(r)),
    frameLimits: { ...DEFAULT_FRAME_LIMITS, maxPacketBytes: e.maxPacketBytes },
    onFrameViolation: (code) => d.ingestMetrics.frameViolation(code),
    clock: d.wallClock,
    connectTimeoutMs: e.connectTimeoutMs,
    connectionRate: e.connectionRate,
    onConnectionRefused: (reason) => d.ingestMetrics.connectionRefused(reason),
    onRetainRefused: (stream) => d.ingestMetrics.retainRefused(stream),
    tls: e.tls
      ? { ...readTlsFiles('mqtt.embedded.tls', e.tls), requireClientCert: e.tls.requireClientCert }
      : undefined,
  });
}
