import { backoffDelayMs, manualClock } from '@coldtrace/shared';
import {
  encodeMessage,
  encodeRoAccessReport,
  findParam,
  type LlrpMessage,
  MessageType,
  message,
  ParamType,
  param,
} from '@coldtrace/shared/llrp';
import { until } from '@coldtrace/shared/testing';
import { describe, expect, it } from 'vitest';
import { read, T0, useConnectors } from './connector-harness.js';
import { startScriptedReader, writeInPieces } from './scripted-reader.js';

const { closers, connector } = useConnectors();

describe('reader connector over real TCP', () => {
  for (const [name, cuts] of [
    ['one TCP chunk', []],
    ['split chunks (inside headers and bodies)', [3, 10, 14, 25, 40, 60, 71]],
  ] as const) {
    it(`takes a response that follows a KEEPALIVE and an RO_ACCESS_REPORT in ${name}`, async () => {
      const reader = await startScriptedReader((conn) => {
        conn.greet();
        conn.onRequest = (req) => {
          if (req.type !== MessageType.START_ROSPEC) return conn.answer(req);
          // The llrpjs failure mode: several messages in one chunk, the response last.
          const bytes = Buffer.concat([
            encodeMessage(message(MessageType.KEEPALIVE, 5000)),
            encodeRoAccessReport(5001, [read(1), read(2, 2), read(3)]),
            conn.responseTo(req),
          ]);
          void writeInPieces(conn.sock, bytes, [...cuts]);
        };
      });
      closers.push(() => reader.close());
      const { c, rec } = connector(reader.port);
      await until(() => c.state === 'connected', 'connected');
      expect(rec.reads.map((r) => [r.epc, r.antennaId])).toEqual([
        [read(1).epc, 1],
        [read(2).epc, 2],
        [read(3).epc, 1],
      ]);
      const conn = reader.connections[0]!;
      await until(() => conn.received.some((m) => m.type === MessageType.KEEPALIVE_ACK), 'KEEPALIVE_ACK');
      expect(conn.received.find((m) => m.type === MessageType.KEEPALIVE_ACK)!.id).toBe(5000);
      expect(rec.errors).toEqual([]);
    });
  }

  it('matches responses to concurrent requests by message ID when they arrive out of order', async () => {
    let held: LlrpMessage[] = [];
    const reader = await startScriptedReader((conn) => {
      conn.greet();
      conn.onRequest = (req) => {
        if (req.type === MessageType.GET_READER_CONFIG) held.push(req);
        else conn.answer(req);
      };
    });
    closers.push(() => reader.close());
    const { c } = connector(reader.port);
    await until(() => c.state === 'connected', 'connected');
    const asks = [1, 2, 3].map(() =>
      c.transact(message(MessageType.GET_READER_CONFIG, 0, { RequestedData: 0 })),
    );
    await until(() => held.length === 3, 'three requests at the reader');
    const conn = reader.connections[0]!;
    // Answer in reverse order, each response naming its request's ID in a KeepaliveSpec.
    const answers = [...held]
      .reverse()
      .map((req) =>
        conn.responseTo(req, 0, [
          param(ParamType.KeepaliveSpec, { KeepaliveTriggerType: 1, PeriodicTriggerValue: req.id }),
        ]),
      );
    conn.write(Buffer.concat(answers));
    const got = await Promise.all(asks);
    got.forEach((resp, i) => {
      expect(resp.id).toBe(held[i]!.id);
      expect(findParam(resp.params, ParamType.KeepaliveSpec)!.fields['PeriodicTriggerValue']).toBe(
        held[i]!.id,
      );
    });
    expect(c.pendingState().requests).toBe(0);
    held = [];
  });

  it('fails an unanswered request with llrp_timeout and recycles the connection', async () => {
    const reader = await startScriptedReader((conn) => {
      conn.greet();
      conn.onRequest = (req) => {
        if (req.type !== MessageType.GET_READER_CONFIG) conn.answer(req); // never answers this one
      };
    });
    closers.push(() => reader.close());
    const clock = manualClock(T0);
    const { c, rec } = connector(reader.port, { responseTimeoutMs: 300, clock });
    await until(() => c.state === 'connected', 'connected');
    const conn = reader.connections[0]!;
    const asked = c
      .transact(message(MessageType.GET_READER_CONFIG, 0, { RequestedData: 0 }))
      .catch((err: unknown) => err);
    await until(() => conn.received.some((m) => m.type === MessageType.GET_READER_CONFIG), 'the request');
    clock.advance(299);
    expect(c.pendingState().requests).toBe(1); // still waiting one ms before the timeout
    clock.advance(1);
    expect(await asked).toMatchObject({ code: 'llrp_timeout' });
    await until(() => conn.closed, 'the first connection closed by the connector');
    expect(rec.retries[0]!.error).toMatch(/GET_READER_CONFIG id \d+: no response in 300 ms/);
    clock.advance(rec.retries[0]!.delayMs);
    await until(() => reader.connections.length === 2 && c.state === 'connected', 'reconnected');
    expect(c.pendingState()).toEqual({ requests: 0, setups: 0, awaitingAttemptEvent: false });
  });

  it('backs off on the shared policy over failed attempts, leaving nothing pending between them', async () => {
    let accept = false;
    const reader = await startScriptedReader((conn) => {
      if (accept) conn.greet();
      else conn.sock.destroy(); // accepted at TCP level, gone before any ConnectionAttemptEvent
    });
    closers.push(() => reader.close());
    const clock = manualClock(T0);
    const backoff = { initialMs: 5, maxMs: 40 };
    const { c, rec } = connector(reader.port, { reconnect: backoff, clock });
    for (let attempt = 1; attempt <= 8; attempt++) {
      await until(() => rec.retries.length === attempt, `failed attempt ${attempt}`);
      const { delayMs } = rec.retries[attempt - 1]!;
      expect(rec.retries[attempt - 1]).toMatchObject({ attempt, delayMs: backoffDelayMs(attempt, backoff) });
      // Between attempts nothing waits on the reader: no setup, no request, no attempt event.
      expect(c.pendingState()).toEqual({ requests: 0, setups: 0, awaitingAttemptEvent: false });
      expect(reader.connections).toHaveLength(attempt);
      if (attempt === 8) accept = true;
      clock.advance(delayMs - 1);
      expect(c.state).toBe('error'); // not a millisecond early
      clock.advance(1);
      expect(c.state).toBe('connecting');
    }
    expect(rec.retries.map((r) => r.delayMs)).toEqual([5, 10, 20, 40, 40, 40, 40, 40]);
    await until(() => c.state === 'connected', 'connected once the reader accepts');
    expect(c.pendingState()).toEqual({ requests: 0, setups: 0, awaitingAttemptEvent: false });
  });

  it('starts the backoff over only after a connection stayed up reconnect.healthyMs', async () => {
    const reader = await startScriptedReader();
    closers.push(() => reader.close());
    const clock = manualClock(T0);
    const reconnect = { initialMs: 5, maxMs: 40, healthyMs: 30_000 };
    const { c, rec } = connector(reader.port, { reconnect, clock });
    const session = async (n: number, upMs: number) => {
      await until(() => reader.connections.length === n && c.state === 'connected', `connection ${n} up`);
      clock.advance(upMs);
      reader.connections.at(-1)!.sock.destroy(); // the reader drops it
      await until(() => rec.retries.length === n, `failure ${n}`);
      clock.advance(rec.retries.at(-1)!.delayMs);
    };
    // A reader that fails soon after each setup is retried ever more slowly…
    await session(1, 29_999);
    await session(2, 29_999);
    await session(3, 29_999);
    expect(rec.retries.map((r) => [r.attempt, r.delayMs])).toEqual([
      [1, 5],
      [2, 10],
      [3, 20],
    ]);
    // …and a connection that stayed up 30 s starts the schedule over.
    await session(4, 30_000);
    expect(rec.retries[3]).toMatchObject({ attempt: 1, delayMs: 5 });
  });
});
