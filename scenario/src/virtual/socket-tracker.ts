import dc from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

/**
 * Every TCP socket of this process, seen through Node's `net.client.socket` and `net.server.socket`
 * diagnostics channels (published by `net.connect` and by every `net.Server` on accept), so the scenario
 * runner can tell bytes in flight between two in-process endpoints without touching the components that
 * own the sockets (MQTT.js, aedes, the LLRP connector and simulator, the uplink proxy, fetch and Fastify).
 * With `noDelay`, each socket also gets TCP_NODELAY: on loopback, Nagle's algorithm against delayed ACKs
 * holds a small write (a PUBACK behind another) ~40 ms, which only costs real time, and on the
 * discrete-event clock the whole world would wait for it.
 */
export interface SocketTracker {
  /**
   * Why the loopback links touching `ports` (the world's listening ports) are not at rest, or undefined:
   * a connect or an accept still pending, bytes one end wrote that the other has not read, bytes read but
   * not yet consumed, or a peer gone whose close this end has not seen yet.
   */
  busy(ports: ReadonlySet<number>): string | undefined;
  /** Sockets currently tracked (open ones). */
  readonly size: number;
  close(): void;
}

const CLIENT = 'net.client.socket';
const SERVER = 'net.server.socket';

const key = (local: number | undefined, remote: number | undefined) => `${local}>${remote}`;

export function trackSockets(o: { noDelay?: boolean } = {}): SocketTracker {
  const sockets = new Set<Socket>();
  const add = (message: unknown) => {
    const s = (message as { socket?: Socket }).socket;
    if (!s || sockets.has(s)) return;
    sockets.add(s);
    if (o.noDelay) s.setNoDelay(true);
    s.once('close', () => sockets.delete(s));
  };
  dc.subscribe(CLIENT, add);
  dc.subscribe(SERVER, add);
  return {
    get size() {
      return sockets.size;
    },
    busy(ports) {
      const byEnds = new Map<string, Socket>();
      const mine: Socket[] = [];
      for (const s of sockets) {
        if (s.destroyed) continue;
        if (s.connecting)
          return `a TCP connect is in progress (${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'})`;
        if (!ports.has(s.localPort ?? -1) && !ports.has(s.remotePort ?? -1)) continue;
        byEnds.set(key(s.localPort, s.remotePort), s);
        mine.push(s);
      }
      for (const s of mine) {
        const where = `${s.localPort} → ${s.remotePort}`;
        if (s.readableLength > 0) return `${s.readableLength} byte(s) read on ${where} not yet consumed`;
        const peer = byEnds.get(key(s.remotePort, s.localPort));
        // The other end is gone (closed) or not accepted yet: this end will see its close or its accept.
        if (!peer) {
          if (s.readableEnded) continue;
          return `TCP ${where}: the other end is not open (yet)`;
        }
        const written = s.bytesWritten ?? 0;
        if (written !== peer.bytesRead)
          return `TCP ${where}: ${written - peer.bytesRead} byte(s) written and not yet read`;
      }
      return undefined;
    },
    close() {
      dc.unsubscribe(CLIENT, add);
      dc.unsubscribe(SERVER, add);
      sockets.clear();
    },
  };
}
