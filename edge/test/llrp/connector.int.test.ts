import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sgtin96, startLlrpSimulator } from '@coldtrace/firmware-sim';
import { backoffDelayMs, type ColdtraceError, manualClock } from '@coldtrace/shared';
import type { TagRead } from '@coldtrace/shared/llrp';
import {
  ConnectionAttemptStatus,
  decodeBody,
  encodeMessage,
  encodeRoAccessReport,
  findParam,
  findParams,
  type LlrpMessage,
  MessageType,
  message,
  NotificationEventType,
  ParamType,
  param,
  type ReaderEvents,
  readerEventNotification,
  StatusCode,
} from '@coldtrace/shared/llrp';
import { until, vectorsDir } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { LlrpReaderConnector, type ReaderConnectorOptions } from '../../src/llrp/connector.js';
import { type ScriptedConnection, startScriptedReader, writeInPieces } from './scripted-reader.js';

const T0 = 1_767_225_600_000;
const closers: (() => unknown)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

const read = (i: number, antennaId = 1): TagRead => ({
  epc: sgtin96(614141, 812345, i),
  antennaId,
  peakRssi: -50,
  firstSeenUs: 1_700_000_000_000_000 + i,
  lastSeenUs: 1_700_000_000_000_000 + i,
  seenCount: 1,
  rospecId: 7,
  channelIndex: null,
});

/** A connector with test hooks; every callback is recorded. */
function connector(port: number, o: Partial<ReaderConnectorOptions> = {}) {
  const rec = {
    reads: [] as TagRead[],
    states: [] as string[],
    errors: [] as ColdtraceError[],
    events: [] as ReaderEvents[],
    retries: [] as { attempt: number; delayMs: number; error: string }[],
  };
  const c = new LlrpReaderConnector({
    host: '127.0.0.1',
    port,
    connectTimeoutMs: 2000,
    keepaliveMs: 0,
    responseTimeoutMs: 2000,
    reconnect: { initialMs: 20, maxMs: 200 },
    rospecId: 7,
    antennas: [1, 2],
    reportEveryTags: 1,
    onTags: (r) => rec.reads.push(...r),
    onState: (s) => rec.states.push(s),
    onProtocolError: (e) => rec.errors.push(e),
    onReaderEvent: (e) => rec.events.push(e),
    onRetry: (r) => rec.retries.push(r),
    ...o,
  });
  closers.push(() => c.stop());
  c.start();
  return { c, rec };
}

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

  it('factoryReset: false configures the reader without RestoreFactorySettings', async () => {
    const reader = await startScriptedReader();
    closers.push(() => reader.close());
    const setConfig = async (factoryReset: boolean | undefined) => {
      const { c } = connector(reader.port, factoryReset === undefined ? {} : { factoryReset });
      await until(() => c.state === 'connected', 'connected');
      const set = reader.connections.at(-1)!.received.find((m) => m.type === MessageType.SET_READER_CONFIG)!;
      await c.stop();
      return set;
    };
    expect((await setConfig(undefined)).fields['ResetToFactoryDefault']).toBe(true);
    const kept = await setConfig(false);
    expect(kept.fields['ResetToFactoryDefault']).toBe(false);
    // Everything else the connector needs is still configured.
    expect(kept.params.map((p) => p.type)).toEqual([
      ParamType.ReaderEventNotificationSpec,
      ParamType.KeepaliveSpec,
      ParamType.EventsAndReports,
    ]);
  });

  it('checks its radio settings against the reader before configuring anything', async () => {
    // The reader answers with a real reader's capabilities (EdgeX capture: 10-30 dBm, antennas 1-4).
    const body = readFileSync(join(vectorsDir('llrp-edgex'), 'GetReaderCapabilitiesResponse-000.bytes'));
    const caps = decodeBody(MessageType.GET_READER_CAPABILITIES_RESPONSE, 1, body).params.filter(
      (p) => p.type !== ParamType.LLRPStatus,
    );
    const reader = await startScriptedReader((conn) => {
      conn.greet();
      conn.onRequest = (req) =>
        req.type === MessageType.GET_READER_CAPABILITIES
          ? conn.write(conn.responseTo(req, 0, caps))
          : conn.answer(req);
    });
    closers.push(() => reader.close());
    const { c, rec } = connector(reader.port, { antennas: [1, 2], radio: { txPowerDbm: 33 } });
    await until(() => rec.retries.length >= 1, 'the setup refused');
    expect(rec.retries[0]!.error).toBe(
      "radio settings the reader cannot do: antenna 1: txPowerDbm 33 is above the reader's maximum 30.00 dBm; " +
        "antenna 2: txPowerDbm 33 is above the reader's maximum 30.00 dBm",
    );
    expect(rec.states).toContain('error');
    expect(c.state).not.toBe('connected');
    // Nothing was configured: the reader keeps its settings (no factory reset, no ROSpec).
    expect(reader.connections[0]!.received.map((m) => m.type)).toEqual([MessageType.GET_READER_CAPABILITIES]);
    // Settings it can do go into the ROSpec (20 dBm: power level 41). The refused connector is stopped
    // first: its retries would otherwise open connections after this one's.
    await c.stop();
    const ok = connector(reader.port, { antennas: [1, 2], radio: { txPowerDbm: 20 } });
    await until(() => ok.c.state === 'connected', 'connected with settings the reader has');
    const adds = reader.connections
      .flatMap((k) => k.received)
      .filter((m) => m.type === MessageType.ADD_ROSPEC);
    expect(adds).toHaveLength(1);
    const add = adds[0]!;
    expect(JSON.stringify(add)).toContain('"TransmitPower":41');
  });

  it('stops cleanly: STOP_ROSPEC and DELETE_ROSPEC of its ROSpec, then CLOSE_CONNECTION', async () => {
    const reader = await startScriptedReader((conn) => {
      conn.greet();
      conn.onRequest = (req) => {
        // A reader that refuses the STOP (as if the ROSpec had already ended) still gets the rest.
        if (req.type === MessageType.STOP_ROSPEC)
          conn.write(conn.responseTo(req, StatusCode.M_FieldError, []));
        else conn.answer(req);
      };
    });
    closers.push(() => reader.close());
    const { c, rec } = connector(reader.port);
    await until(() => c.state === 'connected', 'connected');
    const conn = reader.connections[0]!;
    const setup = conn.received.length;
    await c.stop();
    expect(conn.received.slice(setup).map((m) => [m.type, m.fields['ROSpecID']])).toEqual([
      [MessageType.STOP_ROSPEC, 7],
      [MessageType.DELETE_ROSPEC, 7],
      [MessageType.CLOSE_CONNECTION, undefined],
    ]);
    expect(rec.states.at(-1)).toBe('disconnected');
    expect(rec.retries).toEqual([]); // a stop is no failure
  });

  it('sends nothing on a refused connection (ConnectionAttemptEvent status ≠ 0) and retries later', async () => {
    const reader = await startScriptedReader((conn) => {
      conn.greet(conn.index < 2 ? ConnectionAttemptStatus.FailedClientInitiatedExists : 0);
    });
    closers.push(() => reader.close());
    const { c, rec } = connector(reader.port);
    await until(() => c.state === 'connected', 'connected on the third attempt');
    const [first, second, third] = reader.connections;
    // Both refused connections are over (greeted, then closed), and the client said nothing on them.
    expect(first!.closed && second!.closed).toBe(true);
    expect(first!.received).toEqual([]);
    expect(second!.received).toEqual([]);
    expect(rec.retries.slice(0, 2).map((r) => r.error)).toEqual([
      expect.stringContaining('ConnectionAttemptEvent status 2 (FailedClientInitiatedExists)'),
      expect.stringContaining('ConnectionAttemptEvent status 2'),
    ]);
    expect(third!.received.map((m) => m.type)).toEqual([
      MessageType.GET_READER_CAPABILITIES,
      MessageType.SET_READER_CONFIG,
      MessageType.DELETE_ROSPEC,
      MessageType.ADD_ROSPEC,
      MessageType.ENABLE_ROSPEC,
      MessageType.START_ROSPEC,
    ]);
  });

  it('enables exactly the reader events it handles, and passes them on', async () => {
    let conn: ScriptedConnection | undefined;
    const reader = await startScriptedReader((c) => {
      conn = c;
      c.greet();
    });
    closers.push(() => reader.close());
    const { c, rec } = connector(reader.port);
    await until(() => c.state === 'connected', 'connected');
    const set = conn!.received.find((m) => m.type === MessageType.SET_READER_CONFIG)!;
    const spec = findParam(set.params, ParamType.ReaderEventNotificationSpec)!;
    const states = Object.fromEntries(
      findParams(spec.params, ParamType.EventNotificationState).map((p) => [
        p.fields['EventType'],
        p.fields['NotificationState'],
      ]),
    );
    const E = NotificationEventType;
    // LLRP 1.0.1 §16.2.7.5 event types: all nine stated; on exactly the ones the connector acts on.
    expect(states).toEqual({
      [E.UponHoppingToNextChannel]: false,
      [E.GPIEvent]: false,
      [E.ROSpecEvent]: true,
      [E.ReportBufferFillWarning]: true,
      [E.ReaderExceptionEvent]: true,
      [E.RFSurveyEvent]: false,
      [E.AISpecEvent]: false,
      [E.AISpecEventWithDetails]: false,
      [E.AntennaEvent]: true,
    });
    const now = Date.now() * 1000;
    conn!.write(
      readerEventNotification(1, now, param(ParamType.AntennaEvent, { EventType: 0, AntennaID: 2 })),
    );
    conn!.write(
      readerEventNotification(2, now, param(ParamType.ReaderExceptionEvent, { Message: 'PA hot' })),
    );
    await until(() => rec.events.length >= 3, 'antenna and exception events');
    expect(rec.events.slice(1)).toMatchObject([
      { antenna: { eventType: 0, antennaId: 2 } },
      { exception: 'PA hot' },
    ]);
  });

  it('keeps the good tag reports of a report with a malformed one, and counts the bad one', async () => {
    let conn: ScriptedConnection | undefined;
    const reader = await startScriptedReader((c) => {
      conn = c;
      c.greet();
    });
    closers.push(() => reader.close());
    const { c, rec } = connector(reader.port);
    await until(() => c.state === 'connected', 'connected');
    const good = encodeRoAccessReport(6000, [read(1), read(2), read(3)]);
    // Make the second TagReportData carry an unknown TV parameter (type 127): malformed, framing intact.
    const second = 10 + (good.readUInt16BE(12) as number);
    good[second + 4] = 0x80 | 127;
    conn!.write(good);
    await until(() => rec.reads.length === 2, 'the two good reads');
    expect(rec.reads.map((r) => r.epc)).toEqual([read(1).epc, read(3).epc]);
    expect(c.stats.badTagReports).toBe(1);
    expect(rec.errors.map((e) => e.code)).toEqual(['llrp_malformed_tag_report']);
    expect(c.state).toBe('connected');
  });

  it('puts the reader’s FieldError / ParameterError detail in its error message', async () => {
    const sim = await startLlrpSimulator({});
    closers.push(() => sim.close());
    const { rec } = connector(sim.port, { rospecId: 0 }); // ROSpecID 0 is reserved: the reader refuses it
    await until(() => rec.retries.length >= 1, 'the ADD_ROSPEC failure');
    expect(rec.retries[0]!.error).toBe(
      'ADD_ROSPEC_RESPONSE: M_ParameterError (100) "ROSpecID 0 is reserved" ' +
        '[ParameterError ROSpec (177) P_FieldError (201) > FieldError field 0 A_Invalid (300)]',
    );
  });
});
