import net from 'node:net';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../src/net/fault-proxy.js';

/** A real TCP target that answers every chunk with `ack:<chunk>` and records what it received. */
async function startTarget() {
  const sockets = new Set<net.Socket>();
  let received = '';
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => {
      received += d.toString();
      s.write(`ack:${d.toString()}`);
    });
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    received: () => received,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function connect(proxy: FaultProxy) {
  const s = net.connect(proxy.port, '127.0.0.1');
  await new Promise<void>((r, j) => s.once('connect', () => r()).once('error', j));
  let received = '';
  let closed = false;
  s.on('data', (d) => {
    received += d.toString();
  });
  s.on('close', () => {
    closed = true;
  });
  s.on('error', () => {});
  return {
    socket: s,
    received: () => received,
    closed: () => closed,
  };
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function rig() {
  const target = await startTarget();
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: target.port });
  cleanup.push(
    () => target.close(),
    () => proxy.close(),
  );
  return { target, proxy };
}

describe('fault proxy', () => {
  it('forwards both ways, and holds the target → client direction until released', async () => {
    const { proxy } = await rig();
    const c = await connect(proxy);
    c.socket.write('a');
    await until(() => c.received() === 'ack:a', 'the answer to a');

    proxy.holdDownstream();
    c.socket.write('b');
    // The target answered and the proxy holds the answer: only then is "not seen yet" meaningful.
    await until(() => proxy.heldBytes === 'ack:b'.length, 'the answer to b held by the proxy');
    expect(c.received()).toBe('ack:a');
    proxy.releaseDownstream();
    expect(proxy.heldBytes).toBe(0);
    await until(() => c.received() === 'ack:aack:b', 'the held answer delivered');
  });

  it('dropDownstream discards what was held (a dead target’s answers never arrive) and flows again', async () => {
    const { proxy, target } = await rig();
    const c = await connect(proxy);
    proxy.holdDownstream();
    c.socket.write('lost');
    await until(() => proxy.heldBytes === 'ack:lost'.length, 'the answer to lost held by the proxy');
    proxy.dropDownstream();
    expect(proxy.heldBytes).toBe(0);
    c.socket.write('next');
    // One TCP stream, in order: had the dropped answer been delivered, it would come before this one.
    await until(() => c.received().length >= 'ack:next'.length, 'the answer to next');
    expect(c.received()).toBe('ack:next');
    expect(target.received()).toBe('lostnext');
  });

  it('cut closes open connections and refuses new ones until restored', async () => {
    const { proxy } = await rig();
    const c = await connect(proxy);
    await until(() => proxy.open === 1, 'the proxy to forward the connection');
    proxy.cut();
    await until(() => c.closed(), 'the open connection closed');
    expect(proxy.isCut).toBe(true);
    expect(proxy.open).toBe(0);

    const refused = net.connect(proxy.port, '127.0.0.1');
    refused.on('error', () => {});
    const refusedClosed = await new Promise<boolean>((r) => refused.on('close', () => r(true)));
    expect(refusedClosed).toBe(true);
    expect(proxy.refused).toBe(1);

    proxy.restore();
    const again = await connect(proxy);
    again.socket.write('x');
    await until(() => again.received() === 'ack:x', 'the answer to x after the restore');
    again.socket.destroy();
    expect(proxy.connections).toBe(2); // the refused one is not counted
  });
});
