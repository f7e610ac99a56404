import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import {
  type Clock,
  errorMessage,
  gatewayRoot,
  gatewayTopics,
  parseTopic,
  systemClock,
  TOPIC_ROOT,
} from '@coldtrace/shared';
import { Aedes, type AuthenticateError } from 'aedes';
import type { Logger } from 'pino';
import type { HealthCheck } from '../ingest/ingest-health.js';
import type { IngestSource } from '../ingest/ingest-source.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { MqttAuthRefusal } from '../security/security-events.js';
import type { CloudStore } from '../store/cloud-store.js';
import type { TlsMaterial } from '../tls/tls-files.js';
import { identifyBrokerLogin, type ServiceAccount } from './broker-accounts.js';
import { callListener } from './call-listener.js';
import { clientCertificateRefusal } from './client-certificate.js';
import {
  type ConnectionRefusal,
  connectionAdmission,
  DEFAULT_CONNECT_TIMEOUT_MS,
} from './connection-admission.js';
import { type ConnectionRate, DEFAULT_CONNECTION_RATE } from './connection-rate-limiter.js';
import type { FrameGuardedSocket } from './frame-guarded-socket.js';
import { DEFAULT_FRAME_LIMITS, type FrameLimits } from './mqtt-frame-scanner.js';

export interface EmbeddedBrokerOptions {
  host?: string;
  /** 0 = any free port. */
  port: number;
  store: CloudStore;
  ingestor: Ingestor;
  log: Logger;
  /** Service accounts by username. */
  serviceAccounts?: Record<string, ServiceAccount>;
  /** The wall clock, for connection rates and the CONNECT timeout (default the system clock). */
  clock?: Clock;
  /** Called for every refused MQTT login (counted as `coldtrace_mqtt_auth_failures_total`). */
  onAuthFailure?: (reason: AuthFailureReason) => void;
  /** Called for every login refused for its credentials or client id, with who tried (security events). */
  onAuthRefused?: (refusal: MqttAuthRefusal) => void;
  /** Packet size limits (defaults: `DEFAULT_FRAME_LIMITS`). */
  frameLimits?: FrameLimits | undefined;
  /** Called for every connection closed for an oversized or malformed packet header. */
  onFrameViolation?: (code: 'packet_too_large' | 'malformed_length') => void;
  /** New connections per source address (default `DEFAULT_CONNECTION_RATE`). */
  connectionRate?: ConnectionRate | undefined;
  /** A connection whose CONNECT has not arrived whole within this is closed (default 10 s). */
  connectTimeoutMs?: number | undefined;
  /** Called for every connection closed before its CONNECT (rate limit, CONNECT timeout). */
  onConnectionRefused?: (reason: ConnectionRefusal) => void;
  /** Called for every gateway message whose retain flag was cleared (the contract does not retain its topic). */
  onRetainRefused?: (stream: string) => void;
  /**
   * MQTTS: certificate and key; with `ca`, client certificates issued by it are verified and must name
   * the account logging in (client-certificate.ts); `requireClientCert` refuses connections without one.
   */
  tls?: (TlsMaterial & { requireClientCert: boolean }) | undefined;
}

export type AuthFailureReason = 'bad_credentials' | 'client_id' | 'client_certificate' | 'unavailable';

/** The embedded broker is an ingest source (ingest/ingest-source.ts): PUBACK after the commit. */
export interface EmbeddedBroker extends IngestSource {
  aedes: Aedes;
  port: number;
  url: string;
  /** Running and listening (`/readyz`). */
  health(): HealthCheck;
  close(): Promise<void>;
}

// MQTT 3.1.1 §3.2.2.3 CONNACK return codes
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_CREDENTIALS = 4;
const NOT_AUTHORIZED = 5;

/** The socket of an aedes client (its connection is the frame-guarded socket). */
function socketOf(client: { conn?: unknown }): Socket | undefined {
  return (client.conn as Partial<FrameGuardedSocket> | undefined)?.socket;
}

/** The peer address of an aedes client. */
function remoteOf(client: { conn?: unknown }): string | undefined {
  return socketOf(client)?.remoteAddress;
}

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * The single-node broker: aedes on TCP with gateway authentication (username = gateway id,
 * password = the secret the cloud issued), client ids bound to their account (client-ids.ts) and a topic
 * ACL (a gateway publishes only under its own root). Gateway messages are ingested inside
 * `authorizePublish`, before aedes sends the PUBACK (MQTT 3.1.1 §4.3.2): a gateway deletes a record from
 * its buffer only once the cloud has committed it. New connections pass `connectionAdmission` first.
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { store, ingestor, log } = opts;
  const accounts = opts.serviceAccounts ?? {};
  const aedes = await Aedes.createBroker({ id: 'coldtrace-embedded' });
  /** client id → authenticated identity */
  const identities = new WeakMap<object, { kind: 'gateway' | 'service'; name: string }>();
  /**
   * Payloads the ingestor dead-lettered: acknowledged (the gateway must not resend them forever) but
   * never forwarded to subscribers. aedes wraps the packet for delivery and keeps the payload buffer.
   */
  const rejectedPayloads = new WeakSet<Buffer>();
  const notify = <A>(listener: ((a: A) => void) | undefined, a: A) => callListener(log, listener, a);

  const tls = opts.tls;
  aedes.authenticate = (client, username, password, done) => {
    const name = username ?? '';
    const secret = password?.toString('utf8') ?? '';
    (async () => {
      const socket = socketOf(client);
      if (tls?.ca && socket instanceof TLSSocket) {
        const refusal = clientCertificateRefusal(socket, name, tls.requireClientCert);
        if (refusal) return { certificate: refusal };
      }
      return identifyBrokerLogin(store, accounts, { username: name, secret, clientId: client.id });
    })().then(
      (who) => {
        if (who && typeof who === 'object' && 'certificate' in who) {
          log.warn(
            { clientId: client.id, username: name, remote: remoteOf(client) },
            `MQTT login refused: ${who.certificate}`,
          );
          notify(opts.onAuthFailure, 'client_certificate');
          notify(opts.onAuthRefused, {
            reason: 'client_certificate',
            username: name,
            clientId: client.id,
            remote: remoteOf(client),
            detail: who.certificate,
          });
          return done(authError('client certificate not valid for this account', NOT_AUTHORIZED), false);
        }
        if (who === 'client_id') {
          const rule = Object.hasOwn(accounts, name)
            ? `a client id starting with ${JSON.stringify(accounts[name]!.clientIdPrefix)}`
            : `the gateway id ${JSON.stringify(name)} (or ${JSON.stringify(`${name}/…`)})`;
          log.warn(
            { clientId: client.id, username: name, remote: remoteOf(client) },
            `MQTT client id refused: this account must use ${rule}`,
          );
          notify(opts.onAuthFailure, 'client_id');
          notify(opts.onAuthRefused, {
            reason: 'client_id',
            username: name,
            clientId: client.id,
            remote: remoteOf(client),
          });
          return done(authError('client id not valid for this account', IDENTIFIER_REJECTED), false);
        }
        if (!who) {
          log.warn(
            { clientId: client.id, username: name, remote: remoteOf(client) },
            'MQTT authentication failed',
          );
          notify(opts.onAuthFailure, 'bad_credentials');
          notify(opts.onAuthRefused, {
            reason: 'bad_credentials',
            username: name,
            clientId: client.id,
            remote: remoteOf(client),
          });
          return done(authError('bad username or password', BAD_CREDENTIALS), false);
        }
        identities.set(client, who);
        done(null, true);
      },
      (err) => {
        log.error({ err: errorMessage(err) }, 'MQTT authentication error');
        notify(opts.onAuthFailure, 'unavailable');
        done(authError('authentication unavailable', SERVER_UNAVAILABLE), false);
      },
    );
  };

  aedes.authorizePublish = (client, packet, callback) => {
    if (!client) return callback(null); // will messages re-published by the broker itself
    const who = identities.get(client);
    if (who?.kind !== 'gateway') {
      log.warn({ clientId: client.id, topic: packet.topic }, 'publish refused: not a gateway');
      return callback(new Error('only gateways publish'));
    }
    if (!packet.topic.startsWith(gatewayRoot(who.name))) {
      // MQTT-3.3.5-2: no negative acknowledgement exists in 3.1.1, so record it and close the connection.
      ingestor
        .deadLetter(
          { topic: packet.topic, payload: Buffer.from(packet.payload), clientId: client.id },
          who.name,
          'acl_denied',
          `gateway ${who.name} may publish only under ${gatewayRoot(who.name)}`,
        )
        .then(
          () => callback(new Error('topic not allowed')),
          () => callback(new Error('topic not allowed')),
        );
      return;
    }
    const parsed = parseTopic(packet.topic);
    const stream = parsed?.kind === 'gateway' ? parsed.name : undefined;
    if (packet.retain && !(stream && gatewayTopics[stream].retain)) {
      // MQTT 3.1.1 has no negative acknowledgement (MQTT 5 would disconnect with 0x9A, Retain not
      // supported): the records are stored and acknowledged as any others, only not retained, so nothing
      // is lost and no new subscriber is replayed an old batch.
      packet.retain = false;
      log.warn(
        { clientId: client.id, topic: packet.topic },
        'retain refused: the contract does not retain this topic; the message is stored, not retained',
      );
      notify(opts.onRetainRefused, stream ?? 'other');
    }
    const payload = packet.payload as Buffer;
    ingestor.handle({ topic: packet.topic, payload: Buffer.from(payload), clientId: client.id }).then(
      (outcome) => {
        if (outcome.kind === 'dead_letter') {
          if (typeof payload === 'object') rejectedPayloads.add(payload);
          // Nor is a rejected message retained: the last good retained status stays.
          packet.retain = false;
        }
        callback(null);
      },
      (err) => {
        // Store failure: do not acknowledge; the gateway keeps the records and sends them again.
        log.error({ err: errorMessage(err), topic: packet.topic }, 'ingest failed; message not acknowledged');
        callback(new Error('ingest unavailable'));
      },
    );
  };

  aedes.authorizeForward = (_client, packet) =>
    rejectedPayloads.has(packet.payload as Buffer) ? null : packet;

  aedes.authorizeSubscribe = (client, sub, callback) => {
    const who = identities.get(client);
    const ok =
      (who?.kind === 'service' &&
        (sub.topic === `${TOPIC_ROOT}/#` || sub.topic.startsWith(`${TOPIC_ROOT}/`))) ||
      (who?.kind === 'gateway' && sub.topic.startsWith(`${gatewayRoot(who.name)}cmd/`));
    if (!ok) {
      log.warn({ clientId: client.id, topic: sub.topic }, 'subscription refused');
      return callback(null, null); // SUBACK 0x80 for this filter (MQTT 3.1.1 §3.9.3), connection stays
    }
    callback(null, sub);
  };

  aedes.on('clientError', (client, err) =>
    log.debug({ clientId: client.id, err: err.message }, 'MQTT client error'),
  );

  const admit = connectionAdmission({
    frameLimits: opts.frameLimits ?? DEFAULT_FRAME_LIMITS,
    rate: opts.connectionRate ?? DEFAULT_CONNECTION_RATE,
    connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    clock: opts.clock ?? systemClock,
    log,
    onFrameViolation: opts.onFrameViolation,
    onConnectionRefused: opts.onConnectionRefused,
  });
  const accept = (socket: Socket) => {
    const admitted = admit(socket);
    if (admitted) aedes.handle(admitted);
  };
  const server: Server = tls
    ? createTlsServer(
        {
          cert: tls.cert,
          key: tls.key,
          ...(tls.ca ? { ca: tls.ca, requestCert: true } : {}),
          // Unverified or missing client certificates end the handshake when they are required; otherwise
          // a certificate is used only once verified (TLSSocket.authorized).
          rejectUnauthorized: tls.requireClientCert,
          // The CONNECT timeout starts after the handshake; the handshake has the same bound.
          handshakeTimeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        },
        accept,
      )
    : createServer(accept);
  if (tls)
    server.on('tlsClientError', (err, socket) =>
      log.warn({ err: err.message, remote: socket.remoteAddress }, 'MQTTS handshake failed'),
    );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err: err.message }, 'MQTT listener error'));
  const port = (server.address() as AddressInfo).port;
  log.info({ port }, 'embedded MQTT broker listening');
  return {
    aedes,
    port,
    url: `${tls ? 'mqtts' : 'mqtt'}://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`,
    health: () =>
      aedes.closed
        ? { ok: false, detail: 'the embedded broker has stopped' }
        : server.listening
          ? { ok: true }
          : { ok: false, detail: `the embedded broker no longer listens on port ${port}` },
    close: () =>
      new Promise<void>((resolve) => {
        aedes.close(() => server.close(() => resolve()));
      }),
  };
}
