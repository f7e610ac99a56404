import net from 'node:net';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type SocketTracker, trackSockets } from '../../src/virtual/socket-tracker.js';

/** A loopback server whose accepted sockets are paused until `resume`, so written bytes stay in flight. */
async function pausedServer(): Promise<{ server: net.Server; port: number; accepted: net.Socket[] }> {
  const accepted: net.Socket[] = [];
  const server = net.createServer({ pauseOnConnect: true }, (s) => accepted.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port, accepted };
}

describe('trackSockets: bytes in flight on loopback TCP between in-process endpoints', () => {
  let tracker: SocketTracker | undefined;
  const closers: Array<() => void> = [];
  afterEach(() => {
    tracker?.close();
    for (const c of closers.splice(0)) c();
  });
  /** A client connecting to a paused server; `accepted()` waits for both ends and gives the server's. */
  const loopbackLink = async () => {
    const { server, port, accepted } = await pausedServer();
    closers.push(() => server.close());
    const client = net.connect(port, '127.0.0.1');
    client.on('error', () => {});
    closers.push(() => client.destroy());
    const connected = async () => {
      await until(() => accepted.length === 1 && !client.connecting, 'connected and accepted');
      return accepted[0]!;
    };
    return { ports: new Set([port]), client, connected };
  };

  it('is busy from the connect until the peer has read every byte, then at rest; ignores other ports', async () => {
    tracker = trackSockets();
    const { ports, client, connected } = await loopbackLink();
    expect(tracker.busy(ports)).toMatch(/TCP connect is in progress/);
    const peer = await connected();
    expect(tracker.busy(ports)).toBeUndefined();
    // The server does not read (paused): the 5 bytes stay in flight, whatever the time.
    client.write('hello');
    await new Promise((resolve) => setImmediate(resolve));
    expect(tracker.busy(ports)).toMatch(/5 byte\(s\) written and not yet read/);
    // Not a link of this world: not its business.
    expect(tracker.busy(new Set([1]))).toBeUndefined();
    const got: Buffer[] = [];
    peer.on('data', (d: Buffer) => got.push(d));
    peer.resume();
    await until(() => got.length > 0, 'the server read');
    expect(Buffer.concat(got).toString()).toBe('hello');
    expect(tracker.busy(ports)).toBeUndefined();
    expect(tracker.size).toBe(2);
  });

  it('is busy while one end has closed and the other has not seen it yet', async () => {
    tracker = trackSockets();
    const { ports, client, connected } = await loopbackLink();
    const peer = await connected();
    let sawClose = false;
    client.on('close', () => {
      sawClose = true;
    });
    peer.destroy();
    expect(tracker.busy(ports)).toMatch(/the other end is not open/);
    await until(() => sawClose, 'the client saw the close');
    expect(tracker.busy(ports)).toBeUndefined();
    expect(tracker.size).toBe(0);
  });

  it('sets TCP_NODELAY on every socket it sees when asked (no Nagle delay behind a delayed ACK)', async () => {
    const calls: Array<{ socket: net.Socket; on: boolean | undefined }> = [];
    const setNoDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay').mockImplementation(function (
      this: net.Socket,
      on?: boolean,
    ) {
      calls.push({ socket: this, on });
      return this;
    });
    closers.push(() => setNoDelay.mockRestore());
    tracker = trackSockets({ noDelay: true });
    const { client, connected } = await loopbackLink();
    const peer = await connected();
    expect(calls.filter((c) => c.socket === client || c.socket === peer)).toEqual([
      { socket: client, on: true },
      { socket: peer, on: true },
    ]);
  });
});
