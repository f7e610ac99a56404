import { createHash, timingSafeEqual } from 'node:crypto';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { errorMessage, gatewayRoot, ID_PATTERN, TOPIC_ROOT } from '@coldtrace/shared';
import { Aedes, type AuthenticateError } from 'aedes';
import type { Logger } from 'pino';
import { verifySecret } from '../auth/secrets.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { CloudStore } from '../store/cloud-store.js';
import { FrameGuardedSocket } from './frame-guarded-socket.js';
import { DEFAULT_FRAME_LIMITS, type FrameLimits } from './mqtt-frame-scanner.js';

export interface EmbeddedBrokerOptions {
  host?: string;
  /** 0 = any free port. */
  port: number;
  store: CloudStore;
  ingestor: Ingestor;
  log: Logger;
  /**
   * Service accounts allowed to subscribe (ERP/WMS integrations, tools): username → secret.
   * They may subscribe to `coldtrace/v1/#` but publish nothing.
   */
  serviceAccounts?: Record<string, string>;
  /** Called for every refused MQTT login (counted as `coldtrace_mqtt_auth_failures_total`). */
  onAuthFailure?: (reason: AuthFailureReason) => void;
  /** Packet size limits (defaults: `DEFAULT_FRAME_LIMITS`). */
  frameLimits?: FrameLimits | undefined;
  /** Called for every connection closed for an oversized or malformed packet header. */
  onFrameViolation?: (code: 'packet_too_large' | 'malformed_length') => void;
}

export type AuthFailureReason = 'bad_credentials' | 'client_id' | 'unavailable';

/** Constant-time comparison of two secrets (their SHA-256, so lengths never leak either). */
function sameSecret(a: string, b: string): boolean {
  const h = (x: string) => createHash('sha256').update(x, 'utf8').digest();
  return timingSafeEqual(h(a), h(b));
}

export interface EmbeddedBroker {
  aedes: Aedes;
  port: number;
  url: string;
  close(): Promise<void>;
}

const BAD_CREDENTIALS = 4; // MQTT 3.1.1 §3.2.2.3 CONNACK return code 4
const NOT_AUTHORIZED = 5;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * The single-node broker: aedes on TCP with gateway authentication (username = gateway id,
 * password = the secret the cloud issued) and a topic ACL (a gateway publishes only under its own
 * root). Gateway messages are ingested inside `authorizePublish`, before aedes sends the PUBACK
 * (MQTT 3.1.1 §4.3.2): a gateway deletes a record from its buffer only once the cloud has committed it.
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { store, ingestor, log } = opts;
  const aedes = await Aedes.createBroker({ id: 'coldtrace-embedded' });
  /** client id → authenticated identity */
  const identities = new WeakMap<object, { kind: 'gateway' | 'service'; name: string }>();
  /**
   * Payloads the ingestor dead-lettered: acknowledged (the gateway must not resend them forever) but
   * never forwarded to subscribers. aedes wraps the packet for delivery and keeps the payload buffer.
   */
  const rejectedPayloads = new WeakSet<Buffer>();
  const authFailed = (reason: AuthFailureReason) => {
    try {
      opts.onAuthFailure?.(reason);
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'auth failure listener failed');
    }
  };

  aedes.authenticate = (client, username, password, done) => {
    const name = username ?? '';
    const secret = password?.toString('utf8') ?? '';
    (async () => {
      const service = opts.serviceAccounts?.[name];
      if (service !== undefined) {
        if (sameSecret(service, secret)) return { kind: 'service' as const, name };
        return null;
      }
      if (!ID_PATTERN.test(name)) return null;
      const gw = await store.getGateway(name);
      if (!gw?.secret_hash) return null;
      if (!(await verifySecret(secret, gw.secret_hash))) return null;
      // A gateway may use only its own id (or id/suffix) as client id, so it cannot take over another's session.
      if (client.id !== name && !client.id.startsWith(`${name}/`)) return 'client_id' as const;
      return { kind: 'gateway' as const, name };
    })().then(
      (who) => {
        if (who === 'client_id') {
          log.warn({ clientId: client.id, username: name }, 'MQTT client id does not match the gateway id');
          authFailed('client_id');
          return done(authError('client id must be the gateway id', NOT_AUTHORIZED), false);
        }
        if (!who) {
          log.warn({ clientId: client.id, username: name }, 'MQTT authentication failed');
          authFailed('bad_credentials');
          return done(authError('bad username or password', BAD_CREDENTIALS), false);
        }
        identities.set(client, who);
        done(null, true);
      },
      (err) => {
        log.error({ err: errorMessage(err) }, 'MQTT authentication error');
        authFailed('unavailable');
        done(authError('authentication unavailable', 3), false);
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
    const payload = packet.payload as Buffer;
    ingestor.handle({ topic: packet.topic, payload: Buffer.from(payload), clientId: client.id }).then(
      (outcome) => {
        if (outcome.kind === 'dead_letter' && typeof payload === 'object') rejectedPayloads.add(payload);
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

  const limits = opts.frameLimits ?? DEFAULT_FRAME_LIMITS;
  const server: Server = createServer((socket) => {
    const guarded = new FrameGuardedSocket(socket, limits, (v) => {
      // aedes sets `conn.client` once it has read the CONNECT.
      const clientId = (guarded as { client?: { id?: string } }).client?.id;
      log.warn(
        { ...v, clientId, remote: socket.remoteAddress },
        v.code === 'packet_too_large'
          ? 'MQTT packet over the size limit: connection closed before reading it'
          : 'MQTT packet with a malformed Remaining Length: connection closed',
      );
      try {
        opts.onFrameViolation?.(v.code);
      } catch (err) {
        log.error({ err: errorMessage(err) }, 'frame violation listener failed');
      }
    });
    aedes.handle(guarded);
  });
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
    url: `mqtt://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        aedes.close(() => server.close(() => resolve()));
      }),
  };
}
