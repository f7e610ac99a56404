import { manualClock } from '@coldtrace/shared';
import {
  type AntennaRadioConfig,
  buildROSpec,
  buildSetReaderConfig,
  encodeMessage,
  findParam,
  type LlrpMessage,
  MessageType,
  message,
  ParamType,
  readerCapabilitiesOf,
  StatusCode,
  statusOf,
} from '@coldtrace/shared/llrp';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLlrpScenario } from '../../src/llrp/cli.js';
import { sgtin96 } from '../../src/llrp/population.js';
import { startLlrpSimulator } from '../../src/llrp/simulator.js';
import { rawClient } from './raw-client.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

const T0 = 1_767_225_600_000;
const S = StatusCode;
const rospec = (id: number, n = 1) => buildROSpec({ rospecId: id, antennas: [0], reportEveryTags: n });
const withTrigger = (spec: ReturnType<typeof rospec>, trigger: number) => ({
  ...spec,
  params: spec.params.map((p) =>
    p.type === ParamType.ROReportSpec ? { ...p, fields: { ...p.fields, ROReportTrigger: trigger } } : p,
  ),
});

describe('LLRP reader simulator', () => {
  it('announces the connection, sends keepalives and enforces the ROSpec state machine', async () => {
    const clock = manualClock(T0);
    const sim = await startLlrpSimulator({ keepaliveMs: 100, clock });
    closers.push(() => sim.close());
    const c = await rawClient(sim.port, closers);
    await until(() => c.got.length === 1, 'the connection event');
    expect(c.got[0]?.type).toBe(MessageType.READER_EVENT_NOTIFICATION);
    clock.advance(200);
    await until(() => c.got.filter((g) => g.type === MessageType.KEEPALIVE).length === 2, 'two keepalives');
    const status = async (m: LlrpMessage) => statusOf(await c.req(m));
    // LLRP 1.0.1 §16.2.8.1: an unknown ROSpecID is a bad message field: M_FieldError + FieldError(0, A_Invalid).
    const badRoSpecId = { code: S.M_FieldError, fieldError: { fieldNum: 0, errorCode: S.A_Invalid } };
    expect(await status(message(MessageType.START_ROSPEC, 10, { ROSpecID: 5 }))).toMatchObject({
      ...badRoSpecId,
      description: 'no ROSpec 5',
    });
    expect(await status(message(MessageType.ADD_ROSPEC, 11, {}, []))).toMatchObject({
      code: S.M_MissingParameter,
      parameterError: { parameterType: ParamType.ROSpec, errorCode: S.P_MissingParameter },
    });
    expect((await status(message(MessageType.ADD_ROSPEC, 12, {}, [rospec(5)]))).code).toBe(S.M_Success);
    expect(await status(message(MessageType.ADD_ROSPEC, 13, {}, [rospec(5)]))).toMatchObject({
      code: S.M_ParameterError,
      description: 'ROSpec 5 already exists',
      parameterError: {
        parameterType: ParamType.ROSpec,
        errorCode: S.P_FieldError,
        fieldError: { fieldNum: 0, errorCode: S.A_Invalid },
      },
    });
    expect(await status(message(MessageType.START_ROSPEC, 14, { ROSpecID: 5 }))).toMatchObject(badRoSpecId); // disabled
    expect((await status(message(MessageType.ENABLE_ROSPEC, 15, { ROSpecID: 5 }))).code).toBe(S.M_Success);
    expect((await status(message(MessageType.START_ROSPEC, 16, { ROSpecID: 5 }))).code).toBe(S.M_Success);
    expect((await status(message(MessageType.STOP_ROSPEC, 17, { ROSpecID: 5 }))).code).toBe(S.M_Success);
    expect(await status(message(MessageType.STOP_ROSPEC, 18, { ROSpecID: 5 }))).toMatchObject(badRoSpecId);
    expect((await status(message(MessageType.DELETE_ROSPEC, 19, { ROSpecID: 0 }))).code).toBe(S.M_Success);
    expect(await status(message(MessageType.DELETE_ROSPEC, 20, { ROSpecID: 9 }))).toMatchObject(badRoSpecId);
    const err = await c.req({ ...message(160, 21), raw: new Uint8Array(0) });
    expect(err.type).toBe(MessageType.ERROR_MESSAGE);
    expect(statusOf(err).code).toBe(S.M_UnsupportedMessage);
  });

  it('puts every error detail in a FieldError/ParameterError, never an A_* or P_* code at the top', async () => {
    const sim = await startLlrpSimulator({});
    closers.push(() => sim.close());
    const c = await rawClient(sim.port, closers);
    const status = async (m: LlrpMessage) => statusOf(await c.req(m));
    const bad = { ...rospec(3), fields: { ROSpecID: 3, Priority: 0, CurrentState: 2 } };
    expect(await status(message(MessageType.ADD_ROSPEC, 1, {}, [bad]))).toMatchObject({
      code: S.M_ParameterError,
      parameterError: { parameterType: 177, errorCode: S.P_FieldError, fieldError: { fieldNum: 2 } },
    });
    expect(await status(message(MessageType.ADD_ROSPEC, 2, {}, [rospec(0)]))).toMatchObject({
      code: S.M_ParameterError,
      parameterError: { parameterType: 177, errorCode: S.P_FieldError, fieldError: { fieldNum: 0 } },
    });
    const noAISpec = { ...rospec(4), params: rospec(4).params.filter((p) => p.type !== ParamType.AISpec) };
    expect(await status(message(MessageType.ADD_ROSPEC, 3, {}, [noAISpec]))).toMatchObject({
      code: S.M_ParameterError,
      parameterError: {
        parameterType: ParamType.ROSpec,
        errorCode: S.P_ParameterError,
        parameterError: { parameterType: ParamType.AISpec, errorCode: S.P_MissingParameter },
      },
    });
    expect(await status(message(MessageType.ADD_ROSPEC, 4, {}, [withTrigger(rospec(6), 3)]))).toMatchObject({
      code: S.M_ParameterError,
      parameterError: {
        parameterType: ParamType.ROSpec,
        parameterError: { parameterType: ParamType.ROReportSpec, fieldError: { fieldNum: 0 } },
      },
    });
    const ka = buildSetReaderConfig(5, 100);
    ka.params = ka.params.map((p) =>
      p.type === ParamType.KeepaliveSpec ? { ...p, fields: { ...p.fields, KeepaliveTriggerType: 2 } } : p,
    );
    expect(await status(ka)).toMatchObject({
      code: S.M_ParameterError,
      parameterError: {
        parameterType: ParamType.KeepaliveSpec,
        errorCode: S.P_FieldError,
        fieldError: { fieldNum: 0, errorCode: S.A_Invalid },
      },
    });
    // A body that does not decode: a START_ROSPEC with 2 of the 4 bytes of ROSpecID.
    c.sock.write(encodeMessage({ ...message(MessageType.START_ROSPEC, 6), raw: new Uint8Array([0, 1]) }));
    expect(statusOf(await c.response(6, MessageType.START_ROSPEC_RESPONSE))).toMatchObject({
      code: S.M_FieldError,
      fieldError: { fieldNum: 0, errorCode: S.A_Invalid },
    });
    const statuses = c.got
      .filter((g) => findParam(g.params, ParamType.LLRPStatus))
      .map((g) => statusOf(g).code);
    expect(statuses.length).toBe(6);
    for (const code of statuses) expect(code < 200 || code >= 400, `top-level status ${code}`).toBe(true);
  });

  it("keeps the client's KeepaliveSpec, not its own default, until a factory reset", async () => {
    const clock = manualClock(T0);
    const sim = await startLlrpSimulator({ keepaliveMs: 60_000, clock });
    closers.push(() => sim.close());
    const c = await rawClient(sim.port, closers);
    const keepaliveSpec = async (id: number) => {
      const r = await c.req(message(MessageType.GET_READER_CONFIG, id, { RequestedData: 0 }));
      return findParam(r.params, ParamType.KeepaliveSpec)!.fields['PeriodicTriggerValue'];
    };
    expect(await keepaliveSpec(1)).toBe(60_000);
    const set = buildSetReaderConfig(2, 50);
    set.fields = { ResetToFactoryDefault: false };
    expect(statusOf(await c.req(set)).code).toBe(S.M_Success);
    expect(await keepaliveSpec(3)).toBe(50);
    clock.advance(150);
    expect(sim.stats.keepalivesSent).toBe(3); // at the period the client asked for
    await until(() => c.got.some((g) => g.type === MessageType.KEEPALIVE), 'a keepalive');
    const ka = c.got.find((g) => g.type === MessageType.KEEPALIVE)!;
    c.send(message(MessageType.KEEPALIVE_ACK, ka.id));
    await until(() => sim.stats.keepaliveAcks === 1, 'the KEEPALIVE_ACK counted');
    const reset = message(MessageType.SET_READER_CONFIG, 4, { ResetToFactoryDefault: true });
    expect(statusOf(await c.req(reset)).code).toBe(S.M_Success);
    expect(await keepaliveSpec(5)).toBe(60_000);
  });

  /** A raw client session with one ROSpec at a time, driving scripted passes (not in real time). */
  async function reportSession(opts: { reportPeriodMs?: number }) {
    const clock = manualClock(T0);
    const sim = await startLlrpSimulator({ realtime: false, seed: 4, clock, ...opts });
    closers.push(() => sim.close());
    const c = await rawClient(sim.port, closers);
    const epcs = Array.from({ length: 6 }, (_, i) => ({
      epc: sgtin96(614141, 812345, i),
      direction: 'in' as const,
    }));
    let id = 100;
    return {
      sim,
      c,
      async run(spec: ReturnType<typeof rospec>) {
        const rid = Number(spec.fields['ROSpecID']);
        for (const m of [
          message(MessageType.DELETE_ROSPEC, id++, { ROSpecID: 0 }),
          message(MessageType.ADD_ROSPEC, id++, {}, [spec]),
          message(MessageType.ENABLE_ROSPEC, id++, { ROSpecID: rid }),
          message(MessageType.START_ROSPEC, id++, { ROSpecID: rid }),
        ])
          expect(statusOf(await c.req(m)).code).toBe(S.M_Success);
        c.reports.length = 0;
        await sim.pass(epcs, { durationMs: 600 });
      },
      stop: (rid: number) => c.req(message(MessageType.STOP_ROSPEC, id++, { ROSpecID: rid })),
      /** Moves the reader's clock by `ms`, then a round trip: whatever the reader sent before has arrived. */
      async settle(ms = 0) {
        clock.advance(ms);
        await c.req(message(MessageType.GET_READER_CONFIG, id++, { RequestedData: 0 }));
      },
      getReport: () => c.send(message(MessageType.GET_REPORT, id++)),
    };
  }

  it('N = 0 reports only when the ROSpec ends, even with the partial-batch period running', async () => {
    const s = await reportSession({ reportPeriodMs: 100 });
    await s.run(rospec(1, 0));
    await s.settle(250); // more than two report periods
    expect(s.sim.stats.readsDropped).toBe(0); // the reads went to the running ROSpec…
    expect(s.c.reports).toEqual([]); // …which reports none of them yet
    const stopResp = await s.stop(1);
    // LLRP 1.0.1 §16.2.7.1: N = 0 is no limit; Upon_N_Tags_Or_End_Of_ROSpec reports it all at the end.
    expect(s.c.reports.length).toBe(1);
    expect(s.c.reports[0]!.length).toBeGreaterThan(10);
    const firstReport = s.c.got.findIndex((g) => g.type === MessageType.RO_ACCESS_REPORT);
    expect(firstReport).toBeLessThan(s.c.got.indexOf(stopResp));
  });

  it('ROReportTrigger None reports nothing by itself, not even at the end; GET_REPORT delivers', async () => {
    const s = await reportSession({ reportPeriodMs: 100 });
    await s.run(withTrigger(rospec(3, 4), 0));
    await s.settle(250);
    await s.stop(3);
    await s.settle();
    expect(s.sim.stats.readsDropped).toBe(0); // the reads were taken and held…
    expect(s.c.reports).toEqual([]); // …and not reported, not even at the end
    s.getReport();
    await until(() => s.c.reports.length > 0, 'reports after GET_REPORT');
    expect(s.c.reports.flat().length).toBeGreaterThan(10);
    expect(s.c.reports.every((r) => r.length <= 4)).toBe(true);
  });

  it('N = 4 sends a report per 4 tags and the remainder at the end of the ROSpec', async () => {
    const s = await reportSession({ reportPeriodMs: 0 });
    await s.run(rospec(2, 4));
    await s.settle();
    const during = s.c.reports.length;
    expect(during).toBeGreaterThan(2);
    expect(s.c.reports.every((r) => r.length === 4)).toBe(true);
    await s.stop(2);
    const total = s.c.reports.flat().length;
    expect(s.c.reports.length).toBe(during + (total % 4 === 0 ? 0 : 1));
    expect(s.c.reports.at(-1)!.length).toBe(total % 4 || 4);
    expect(total).toBe(s.sim.stats.tagsReported);
  });

  it('writes output held during a stall only to the connection it was meant for', async () => {
    const clock = manualClock(T0);
    const sim = await startLlrpSimulator({ clock });
    closers.push(() => sim.close());
    const a = await rawClient(sim.port, closers);
    await until(() => a.got.length === 1, 'the first connection event');
    sim.inject.stall(400);
    a.send(message(MessageType.GET_READER_CONFIG, 77, { RequestedData: 0 }));
    await until(() => sim.stats.sentIds.includes(77), 'the response held by the stall');
    a.sock.destroy();
    const b = await rawClient(sim.port, closers);
    await until(() => sim.stats.connections === 2, 'the second connection accepted during the stall');
    clock.advance(400); // the stall ends: held output goes to the connections it was made for
    await until(() => b.got.length === 1, 'the second connection event after the stall');
    // A round trip: whatever the reader sent b before its answer has arrived.
    const answer = await b.req(message(MessageType.GET_READER_CONFIG, 78, { RequestedData: 0 }));
    expect(a.got.map((g) => g.id)).not.toContain(77);
    expect(b.got.map((g) => [g.type, g.id])).toEqual([
      [MessageType.READER_EVENT_NOTIFICATION, expect.any(Number)],
      [answer.type, 78],
    ]);
  });

  it('refuses radio settings it does not have, down to the field (LLRP 1.0.1 §16.2.8.1)', async () => {
    const sim = await startLlrpSimulator({});
    closers.push(() => sim.close());
    const c = await rawClient(sim.port, closers);
    const caps = readerCapabilitiesOf(
      await c.req(message(MessageType.GET_READER_CAPABILITIES, 1, { RequestedData: 0 })),
    );
    expect(caps.transmitPower.at(-1)).toEqual({ index: 81, dBm: 30 });
    const add = async (id: number, a: AntennaRadioConfig) => {
      const spec = buildROSpec({ rospecId: id, antennas: [0], reportEveryTags: 1, antennaConfigs: [a] });
      return statusOf(await c.req(message(MessageType.ADD_ROSPEC, id, {}, [spec])));
    };
    /** The ParameterError chain ROSpec > AISpec > InventoryParameterSpec > AntennaConfiguration > … > field. */
    const chain = (...types: number[]) => {
      const P = ParamType;
      let e: Record<string, unknown> | undefined;
      for (const t of [
        P.ROSpec,
        P.AISpec,
        P.InventoryParameterSpec,
        P.AntennaConfiguration,
        ...types,
      ].reverse())
        e = e
          ? { parameterType: t, parameterError: e }
          : { parameterType: t, fieldError: { errorCode: S.A_OutOfRange } };
      return e;
    };
    const tx = { hopTableId: 1, channelIndex: 1 };
    expect(await add(2, { antennaId: 1, transmitter: { ...tx, powerIndex: 82 } })).toMatchObject({
      code: S.M_ParameterError,
      description: 'antenna 1: no TransmitPower level 82',
      parameterError: chain(ParamType.RFTransmitter),
    });
    expect(await add(3, { antennaId: 9 })).toMatchObject({
      description: 'no antenna 9',
      parameterError: chain(),
    });
    expect(await add(4, { antennaId: 2, rfMode: 7 })).toMatchObject({
      description: 'antenna 2: no C1G2 RF mode 7',
      parameterError: chain(ParamType.C1G2InventoryCommand, ParamType.C1G2RFControl),
    });
    expect(await add(5, { antennaId: 2, receiverSensitivityIndex: 43 })).toMatchObject({
      parameterError: chain(ParamType.RFReceiver),
    });
    expect((await add(6, { antennaId: 2, transmitter: { ...tx, powerIndex: 81 }, rfMode: 2 })).code).toBe(
      S.M_Success,
    );
  });

  it('reads at the transmit power the ROSpec sets: less power, distant tags drop out first', async () => {
    const strayAndPass = async (powerIndex: number | undefined) => {
      const clock = manualClock(T0);
      const sim = await startLlrpSimulator({ realtime: false, seed: 9, clock });
      closers.push(() => sim.close());
      const c = await rawClient(sim.port, closers);
      const antennaConfigs =
        powerIndex === undefined
          ? []
          : [1, 2, 3, 4].map((antennaId) => ({
              antennaId,
              transmitter: { hopTableId: 1, channelIndex: 1, powerIndex },
            }));
      const spec = buildROSpec({ rospecId: 1, antennas: [0], reportEveryTags: 1, antennaConfigs });
      for (const m of [
        message(MessageType.ADD_ROSPEC, 1, {}, [spec]),
        message(MessageType.ENABLE_ROSPEC, 2, { ROSpecID: 1 }),
        message(MessageType.START_ROSPEC, 3, { ROSpecID: 1 }),
      ])
        expect(statusOf(await c.req(m)).code).toBe(S.M_Success);
      // Stock 4-6 m from the door, and one case carried through it.
      const stock = Array.from({ length: 20 }, (_, i) => sgtin96(614141, 812345, 500 + i));
      const carried = sgtin96(614141, 812345, 1);
      await sim.stray(stock, { durationMs: 3000 });
      await sim.pass([{ epc: carried, direction: 'in' }]);
      await c.req(message(MessageType.STOP_ROSPEC, 4, { ROSpecID: 1 }));
      const epcs = c.reports.flat().map((r) => r.epc);
      return {
        stock: new Set(epcs.filter((e) => e !== carried)).size,
        carried: epcs.filter((e) => e === carried).length,
      };
    };
    const full = await strayAndPass(undefined); // the reader's own setting: full power, 30 dBm
    const low = await strayAndPass(21); // 15.00 dBm
    expect(full.stock).toBeGreaterThan(5); // at full power much of the stock is read…
    expect(low.stock).toBe(0); // …at 15 dBm none of it,
    expect(full.carried).toBeGreaterThan(10);
    expect(low.carried).toBeGreaterThan(3); // while the case through the door still is.
  });

  it('validates scenario files with clear errors', () => {
    expect(() =>
      loadLlrpScenario(
        'timeline:\n  - atMs: 0\n    action: pass\n    direction: up\n    epcs: [XYZ]',
        'f.yaml',
      ),
    ).toThrow(/f\.yaml is invalid:[\s\S]*timeline\.0\.direction[\s\S]*timeline\.0\.epcs\.0/);
    const s = loadLlrpScenario(
      '{"timeline":[{"atMs":0,"action":"pass","direction":"in","epcs":["3034257BF7194E4000000001"]}]}',
    );
    expect(s.timeline[0]).toMatchObject({ action: 'pass', durationMs: 1500 });
  });
  it('inject.refuse answers a message type with the given status and changes nothing until accept', async () => {
    const sim = await startLlrpSimulator({});
    closers.push(() => sim.close());
    const c = await rawClient(sim.port, closers);
    await until(() => c.got.length === 1, 'the connection event');
    const status = async (m: LlrpMessage) => statusOf(await c.req(m));
    expect((await status(message(MessageType.ADD_ROSPEC, 10, {}, [rospec(5)]))).code).toBe(S.M_Success);
    sim.inject.refuse(MessageType.ENABLE_ROSPEC, S.R_DeviceError, 'antenna port fault');
    expect(await status(message(MessageType.ENABLE_ROSPEC, 11, { ROSpecID: 5 }))).toEqual({
      code: S.R_DeviceError,
      description: 'antenna port fault',
    });
    expect(sim.stats.errorsSent).toBe(1);
    // The refused ENABLE left the ROSpec disabled: START is refused by the state machine itself.
    expect((await status(message(MessageType.START_ROSPEC, 12, { ROSpecID: 5 }))).code).toBe(S.M_FieldError);
    sim.inject.accept(MessageType.ENABLE_ROSPEC);
    expect((await status(message(MessageType.ENABLE_ROSPEC, 13, { ROSpecID: 5 }))).code).toBe(S.M_Success);
    expect((await status(message(MessageType.START_ROSPEC, 14, { ROSpecID: 5 }))).code).toBe(S.M_Success);
    await sim.waitActive(2000);
  });
});
