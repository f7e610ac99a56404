import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLlrpSimulator } from '@coldtrace/firmware-sim';
import {
  ConnectionAttemptStatus,
  decodeBody,
  encodeRoAccessReport,
  findParam,
  findParams,
  MessageType,
  NotificationEventType,
  ParamType,
  param,
  readerEventNotification,
  StatusCode,
} from '@coldtrace/shared/llrp';
import { until, vectorsDir } from '@coldtrace/shared/testing';
import { describe, expect, it } from 'vitest';
import { read, useConnectors } from './connector-harness.js';
import { type ScriptedConnection, startScriptedReader } from './scripted-reader.js';

// Configuring, checking and stopping the reader, its events, reports and errors (the transport itself:
// connector.int.test.ts).

const { closers, connector } = useConnectors();

describe('reader connector over real TCP', () => {
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
