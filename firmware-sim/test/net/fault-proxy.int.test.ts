import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../src/net/fault-proxy.js';

/** A real TCP target that answers every chunk with `ack:<chunk>` and can be closed. */
async function startTarget() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => s.write(`ack:${d.toString()}`));
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
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

const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

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
    await settle();
    expect(c.received()).toBe('ack:a');

    proxy.holdDownstream();
    c.socket.write('b');
    await settle();
    expect(c.received()).toBe('ack:a'); // the target answered; the client has not seen it
    proxy.releaseDownstream();
    await settle();
    expect(c.received()).toBe('ack:aack:b');
  });

  it('dropDownstream discards what was held (a dead target’s answers never arrive) and flows again', async () => {
    const { proxy } = await rig();
    const c = await connect(proxy);
    proxy.holdDownstream();
    c.socket.write('lost');
    await settle();
    proxy.dropDownstream();
    await settle();
    expect(c.received()).toBe('');
    c.socket.write('next');
    await settle();
    expect(c.received()).toBe('ack:next');
  });

  it('cut closes open connections and refuses new ones until restored', async () => {
    const { proxy } = await rig();
    const c = await connect(proxy);
    proxy.cut();
    await settle();
    expect(c.closed()).toBe(true);
    expect(proxy.isCut).toBe(true);

    const refused = net.connect(proxy.port, '127.0.0.1');
    refused.on('error', () => {});
    const refusedClosed = await new Promise<boolean>((r) => refused.on('close', () => r(true)));
    expect(refusedClosed).toBe(true);

    proxy.restore();
    const again = await connect(proxy);
    again.socket.write('x');
    await settle();
    expect(again.received()).toBe('ack:x');
    again.socket.destroy();
    expect(proxy.connections).toBe(2); // the refused one is not counted
  });
});
