import type { Socket } from 'node:net';
import type { Clock, ClockTimer } from '@coldtrace/shared';
import type { Logger } from 'pino';
import { callListener } from './call-listener.js';
import { type ConnectionRate, ConnectionRateLimiter } from './connection-rate-limiter.js';
import { FrameGuardedSocket } from './frame-guarded-socket.js';
import type { FrameLimits } from './mqtt-frame-scanner.js';

/** aedes waits 30 s for a CONNECT; a gateway sends it within milliseconds of the TCP connection. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export type ConnectionRefusal = 'rate_limited' | 'connect_timeout';

export interface ConnectionAdmissionOptions {
  frameLimits: FrameLimits;
  rate: ConnectionRate;
  connectTimeoutMs: number;
  /** The wall clock (connection rates and timeouts are real time). */
  clock: Clock;
  log: Logger;
  onFrameViolation?: ((code: 'packet_too_large' | 'malformed_length') => void) | undefined;
  onConnectionRefused?: ((reason: ConnectionRefusal) => void) | undefined;
}

/**
 * What happens to a new TCP connection before aedes reads it: refused at once when its source address is
 * over the connection rate; otherwise read through the frame guard (packet size limits) and closed when
 * its CONNECT has not arrived whole within `connectTimeoutMs`, so half-open connections cannot pile up.
 * Returns the stream to hand to aedes, or undefined when the connection was refused.
 */
export function connectionAdmission(
  o: ConnectionAdmissionOptions,
): (socket: Socket) => FrameGuardedSocket | undefined {
  const { clock, log } = o;
  const limiter = new ConnectionRateLimiter(o.rate, clock);
  const notify = <A>(listener: ((a: A) => void) | undefined, a: A) => callListener(log, listener, a);
  return (socket) => {
    const remote = socket.remoteAddress ?? 'unknown';
    const { allowed, firstRefusal } = limiter.take(remote);
    if (!allowed) {
      socket.destroy();
      if (firstRefusal) {
        log.warn(
          { remote, burst: o.rate.burst, perSecond: o.rate.perSecond },
          'MQTT connections from this address over the connection rate: closed before reading them',
        );
      }
      notify(o.onConnectionRefused, 'rate_limited');
      return undefined;
    }
    let connectTimer: ClockTimer | undefined;
    const stopConnectTimer = () => {
      clock.clearTimeout(connectTimer);
      connectTimer = undefined;
    };
    const guarded = new FrameGuardedSocket(
      socket,
      o.frameLimits,
      (v) => {
        // aedes sets `conn.client` once it has read the CONNECT.
        const clientId = (guarded as { client?: { id?: string } }).client?.id;
        log.warn(
          { ...v, clientId, remote },
          v.code === 'packet_too_large'
            ? 'MQTT packet over the size limit: connection closed before reading it'
            : 'MQTT packet with a malformed Remaining Length: connection closed',
        );
        notify(o.onFrameViolation, v.code);
      },
      stopConnectTimer,
    );
    connectTimer = clock.setTimeout(() => {
      connectTimer = undefined;
      log.warn(
        { remote, connectTimeoutMs: o.connectTimeoutMs },
        'no MQTT CONNECT in time: connection closed',
      );
      notify(o.onConnectionRefused, 'connect_timeout');
      guarded.destroy();
    }, o.connectTimeoutMs);
    socket.once('close', stopConnectTimer);
    return guarded;
  };
}
