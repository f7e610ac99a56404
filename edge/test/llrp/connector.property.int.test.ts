import net from 'node:net';
import { encodeMessage, ParamType, param, readerEventNotification } from '@coldtrace/shared/llrp';
import { until } from '@coldtrace/shared/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LlrpReaderConnector } from '../../src/llrp/connector.js';

/** A TCP peer that greets like a reader, sends whatever bytes the property gives it, and ends. */
async function garbageReader(payload: () => Buffer[]) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    sock.write(
      encodeMessage(
        readerEventNotification(1, Date.now() * 1000, param(ParamType.ConnectionAttemptEvent, { Status: 0 })),
      ),
    );
    for (const b of payload()) sock.write(b);
    sock.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return { close, port: typeof a === 'object' && a ? a.port : 0 };
}

const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);
process.on('uncaughtException', onUncaught);
process.on('unhandledRejection', onUncaught);
afterAll(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

const framed = (type: number, body: Uint8Array) => {
  const h = Buffer.alloc(10);
  h.writeUInt16BE((1 << 10) | type, 0);
  h.writeUInt32BE(10 + body.byteLength, 2);
  return Buffer.concat([h, body]);
};

describe('reader connector under random garbage', () => {
  it('never lets garbage escape as an exception; it reports and reconnects', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
            fc
              .tuple(fc.constantFrom(11, 13, 61, 62, 63, 100, 500), fc.uint8Array({ maxLength: 120 }))
              .map(([t, b]) => framed(t, b)),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        async (chunks) => {
          const { close, port } = await garbageReader(() => chunks);
          const states: string[] = [];
          const c = new LlrpReaderConnector({
            host: '127.0.0.1',
            port,
            connectTimeoutMs: 300,
            keepaliveMs: 0,
            responseTimeoutMs: 200,
            reconnect: { initialMs: 20, maxMs: 50 },
            rospecId: 1,
            antennas: [],
            reportEveryTags: 1,
            onTags: () => {},
            onState: (s) => states.push(s),
          });
          c.start();
          // The garbage, or the end of the stream after it, fails the session: then it reconnects.
          await until(
            () => states.includes('error') && states.lastIndexOf('connecting') > states.indexOf('error'),
            'a reconnect after the garbage',
          );
          await c.stop();
          await close();
          expect(states.at(-1)).toBe('disconnected');
        },
      ),
      { numRuns: 25 },
    );
    expect(uncaught).toEqual([]);
  });
});
