import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock } from '@coldtrace/shared';
import {
  buildROSpec,
  buildSetReaderConfig,
  ConnectionAttemptStatus,
  findParam,
  findParams,
  type LlrpMessage,
  MessageType,
  message,
  NotificationEventType,
  ParamType,
  param,
  ROSpecEventType,
  StatusCode,
  statusOf,
} from '@coldtrace/shared/llrp';
import {
  type DissectedMessage,
  dissectCapture,
  malformedFrames,
  startCapture,
  tsharkUnavailable,
  until,
} from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startLlrpSimulator } from '../../src/llrp/simulator.js';
import { rawClient } from './raw-client.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

const reason = tsharkUnavailable();
if (reason) console.warn(`[skip] LLRP simulator capture tests: ${reason}`);

/**
 * Runs `session` while tshark captures `port`; waits until the capture has summarised `lastSeen` (the
 * name Wireshark gives the last message expected, e.g. 'Error Message') `times` times, then returns
 * what the dissector made of every message, after checking it found nothing malformed.
 */
async function captured(
  port: number,
  session: () => Promise<void>,
  lastSeen: string,
  times = 1,
): Promise<DissectedMessage[]> {
  const dir = mkdtempSync(join(tmpdir(), 'llrp-sim-cap-'));
  const file = join(dir, 'session.pcapng');
  const cap = await startCapture(port, file);
  try {
    await session();
    await until(
      () => cap.summaries().split(`(${lastSeen})`).length > times,
      `${lastSeen} captured ${times}×`,
    );
  } finally {
    await cap.stop();
  }
  expect(malformedFrames(file, port)).toBe('');
  const messages = dissectCapture(file, port);
  rmSync(dir, { recursive: true, force: true });
  return messages;
}

const rospec = (id: number) => buildROSpec({ rospecId: id, antennas: [0], reportEveryTags: 1 });
const T0 = 1_767_225_600_000;

describe.skipIf(reason !== null)('LLRP simulator as strict as a reader, checked by Wireshark', () => {
  it('sends ROSpecEvents only while the client has them enabled', async () => {
    const sim = await startLlrpSimulator({ clock: manualClock(T0) });
    closers.push(() => sim.close());
    let c: Awaited<ReturnType<typeof rawClient>> | undefined;
    let id = 1;
    const ok = async (m: LlrpMessage) => expect(statusOf(await c!.req(m)).code).toBe(StatusCode.M_Success);
    const add = async (rid: number) => {
      await ok(message(MessageType.ADD_ROSPEC, id++, {}, [rospec(rid)]));
      await ok(message(MessageType.ENABLE_ROSPEC, id++, { ROSpecID: rid }));
    };
    const start = (rid: number) => ok(message(MessageType.START_ROSPEC, id++, { ROSpecID: rid }));
    const stop = (rid: number) => ok(message(MessageType.STOP_ROSPEC, id++, { ROSpecID: rid }));
    const events = () =>
      c!.got
        .filter((g) => g.type === MessageType.READER_EVENT_NOTIFICATION)
        .flatMap((g) => findParams(findParam(g.params, ParamType.ReaderEventNotificationData)!.params, 249))
        .map((p) => [p.fields['EventType'], p.fields['ROSpecID'], p.fields['PreemptingROSpecID']]);
    const E = ROSpecEventType;
    const wire = await captured(
      sim.port,
      async () => {
        c = await rawClient(sim.port, closers);
        await until(() => c!.got.length === 1, 'the connection event');
        // Factory default: no reader event is enabled.
        await add(1);
        await start(1);
        await stop(1);
        expect(events()).toEqual([]);
        // The connector's configuration switches ROSpecEvent on (and resets: ROSpec 1 is gone).
        await ok(buildSetReaderConfig(id++, 0));
        await add(2);
        await add(3);
        await start(2);
        await start(3); // preempts 2
        await stop(3);
        expect(events()).toEqual([
          [E.StartOfROSpec, 2, 0],
          [E.PreemptionOfROSpec, 2, 3],
          [E.StartOfROSpec, 3, 0],
          [E.EndOfROSpec, 3, 0],
        ]);
        // Switched off again (no reset): START/STOP give no event.
        await ok(
          message(MessageType.SET_READER_CONFIG, id++, { ResetToFactoryDefault: false }, [
            param(ParamType.ReaderEventNotificationSpec, {}, [
              param(ParamType.EventNotificationState, {
                EventType: NotificationEventType.ROSpecEvent,
                NotificationState: false,
              }),
            ]),
          ]),
        );
        await start(2);
        await stop(2);
        await ok(message(MessageType.GET_ROSPECS, id++));
      },
      'Get ROSpecs Response',
    );
    expect(events()).toHaveLength(4);
    // The reader's configuration says the same. (Not in the capture: Wireshark's dissector misreads the
    // Identification parameter of GET_READER_CONFIG_RESPONSE, ReaderID u8v, as 2 bytes short.)
    const config = await c!.req(message(MessageType.GET_READER_CONFIG, id++, { RequestedData: 0 }));
    const states = findParams(
      findParam(config.params, ParamType.ReaderEventNotificationSpec)!.params,
      ParamType.EventNotificationState,
    ).map((p) => [p.fields['EventType'], p.fields['NotificationState']]);
    expect(states).toContainEqual([NotificationEventType.ROSpecEvent, false]);
    expect(states).toContainEqual([NotificationEventType.AntennaEvent, true]);
    // Wireshark reads the same four ROSpecEvents, in order, with their ROSpec and preempting IDs.
    const onWire = wire
      .filter((m) => m.srcPort === sim.port && m.type === MessageType.READER_EVENT_NOTIFICATION)
      .filter((m) => m.values('llrp.param.roevent_type').length > 0)
      .map((m) => [
        Number(m.values('llrp.param.roevent_type')[0]),
        Number(m.values('llrp.param.rospec_id')[0]),
        Number(m.values('llrp.param.prem_rospec_id')[0]),
      ]);
    expect(onWire).toEqual(events());
    expect(
      wire.filter((m) => m.srcPort !== sim.port && m.type === MessageType.SET_READER_CONFIG),
    ).toHaveLength(2);
  });

  it('refuses a second client while one is connected; the first keeps its session', async () => {
    const sim = await startLlrpSimulator({});
    closers.push(() => sim.close());
    let a: Awaited<ReturnType<typeof rawClient>> | undefined;
    let b: Awaited<ReturnType<typeof rawClient>> | undefined;
    let c: Awaited<ReturnType<typeof rawClient>> | undefined;
    const ports: number[] = []; // the clients' local ports, a b c
    const attempt = (m: LlrpMessage) =>
      findParam(findParam(m.params, ParamType.ReaderEventNotificationData)!.params, 256)!.fields['Status'];
    const wire = await captured(
      sim.port,
      async () => {
        a = await rawClient(sim.port, closers);
        ports.push(a.sock.localPort!);
        await until(() => a!.got.length === 1, "the first client's connection event");
        b = await rawClient(sim.port, closers);
        ports.push(b.sock.localPort!);
        await until(() => b!.closed(), 'the second client closed by the reader');
        // LLRP 1.0.1 §16.2.7.6.10: "Failed (a Client initiated connection already exists)".
        expect(b.got.map(attempt)).toEqual([ConnectionAttemptStatus.FailedClientInitiatedExists]);
        const answer = await a.req(message(MessageType.GET_ROSPECS, 51));
        expect(statusOf(answer).code).toBe(StatusCode.M_Success);
        expect(a.closed()).toBe(false);
        // Once the first client has gone, the next is accepted.
        a.sock.end();
        c = await rawClient(sim.port, closers);
        ports.push(c.sock.localPort!);
        await until(() => c!.got.length === 1, "the third client's connection event");
      },
      'Reader Event Notification',
      3,
    );
    expect(c!.got.map(attempt)).toEqual([ConnectionAttemptStatus.Success]);
    expect(sim.stats).toMatchObject({ connections: 2, refusedConnections: 1 });
    const status = (local: number) =>
      wire
        .filter((m) => m.dstPort === local && m.type === MessageType.READER_EVENT_NOTIFICATION)
        .flatMap((m) => m.values('llrp.param.conn_status'));
    expect(ports.map(status)).toEqual([['0'], ['2'], ['0']]);
  });

  it('answers an unsupported version with ERROR_MESSAGE M_UnsupportedVersion and keeps the connection', async () => {
    const sim = await startLlrpSimulator({});
    closers.push(() => sim.close());
    const c = await rawClient(sim.port, closers);
    const wire = await captured(
      sim.port,
      async () => {
        await until(() => c.got.length === 1, 'the connection event');
        c.send({ ...message(MessageType.GET_ROSPECS, 4242), version: 2 });
        const err = await c.response(4242, MessageType.ERROR_MESSAGE);
        // LLRP 1.0.1 §16.1.35: the received version and message ID, M_UnsupportedVersion, no detail.
        expect(err.version).toBe(2);
        expect(statusOf(err)).toMatchObject({ code: StatusCode.M_UnsupportedVersion });
        expect(findParam(err.params, ParamType.LLRPStatus)!.params).toEqual([]);
        const next = await c.req(message(MessageType.GET_ROSPECS, 4243));
        expect(statusOf(next).code).toBe(StatusCode.M_Success);
        expect(c.closed()).toBe(false);
      },
      'Get ROSpecs Response',
    );
    const error = wire.find((m) => m.type === MessageType.ERROR_MESSAGE)!;
    expect(error).toMatchObject({ srcPort: sim.port, version: 2, id: 4242 });
    expect(error.values('llrp.param.status_code')).toEqual([String(StatusCode.M_UnsupportedVersion)]);
    expect(error.values('llrp.tlv_type')).toEqual([String(ParamType.LLRPStatus)]);
    expect(wire.find((m) => m.id === 4242 && m.srcPort !== sim.port)).toMatchObject({ version: 2 });
  });
});

describe('LLRP simulator network exposure', () => {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
  if (!external) console.warn('[skip] no non-loopback IPv4 address on this machine');

  it.skipIf(!external)('listens on 127.0.0.1 only unless told otherwise', async () => {
    const sim = await startLlrpSimulator({});
    closers.push(() => sim.close());
    const tryConnect = (host: string) =>
      new Promise<string>((resolve) => {
        const s = net.connect(sim.port, host);
        s.once('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
    expect(await tryConnect('127.0.0.1')).toBe('connected');
    expect(await tryConnect(external!)).toBe('ECONNREFUSED');
  });
});
