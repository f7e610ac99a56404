import {
  type AntennaRadioConfig,
  buildROSpec,
  IMPINJ_ENABLE_EXTENSIONS_RESPONSE_SUBTYPE,
  IMPINJ_VENDOR_ID,
  impinjEnableExtensions,
  impinjSearchModeParam,
  isImpinjMessage,
  type LlrpParam,
  MessageType,
  message,
  ParamType,
  param,
  readerCapabilitiesOf,
  StatusCode,
  statusOf,
  withCustomParams,
} from '@coldtrace/shared/llrp';
import { afterEach, describe, expect, it } from 'vitest';
import { startLlrpSimulator } from '../../src/llrp/simulator.js';
import { rawClient } from './raw-client.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

const S = StatusCode;
/** Zebra Technologies' IANA Private Enterprise Number: a reader that is not an Impinj reader. */
const ZEBRA = 10642;

/**
 * A client on a simulator claiming `manufacturer` that enabled Impinj extensions first (as the gateway
 * does for a search mode) unless `extensions` is false, and ADD_ROSPEC of one ROSpec with `configs`.
 */
async function reader(manufacturer?: number, extensions = true) {
  const sim = await startLlrpSimulator(manufacturer === undefined ? {} : { manufacturer });
  closers.push(() => sim.close());
  const c = await rawClient(sim.port, closers);
  let msgId = 100;
  const add = async (id: number, configs: AntennaRadioConfig[], patch?: (ac: LlrpParam) => LlrpParam) => {
    const spec = buildROSpec({ rospecId: id, antennas: [0], reportEveryTags: 1, antennaConfigs: configs });
    const ai = spec.params.find((p) => p.type === ParamType.AISpec)!;
    const ips = ai.params.find((p) => p.type === ParamType.InventoryParameterSpec)!;
    if (patch) ips.params = ips.params.map(patch);
    msgId += 1;
    return statusOf(await c.req(message(MessageType.ADD_ROSPEC, msgId, {}, [spec])));
  };
  const caps = readerCapabilitiesOf(
    await c.req(message(MessageType.GET_READER_CAPABILITIES, 1, { RequestedData: 0 })),
  );
  if (extensions && caps.manufacturer === IMPINJ_VENDOR_ID) {
    const resp = await c.req(impinjEnableExtensions(7));
    expect(isImpinjMessage(resp, IMPINJ_ENABLE_EXTENSIONS_RESPONSE_SUBTYPE)).toBe(true);
    expect(statusOf(withCustomParams(resp)).code).toBe(StatusCode.M_Success);
  }
  return { sim, c, add, caps };
}

/** ROSpec > AISpec > InventoryParameterSpec > AntennaConfiguration > … > `last` (LLRP 1.0.1 §16.2.8.1.2). */
function chain(types: number[], last: Record<string, unknown>) {
  const P = ParamType;
  let e: Record<string, unknown> = { parameterType: types.at(-1), ...last };
  const above = [P.ROSpec, P.AISpec, P.InventoryParameterSpec, P.AntennaConfiguration, ...types.slice(0, -1)];
  for (const t of above.reverse()) e = { parameterType: t, errorCode: S.P_ParameterError, parameterError: e };
  return e;
}
const C1G2 = [ParamType.C1G2InventoryCommand, ParamType.Custom];

describe('LLRP reader simulator: Impinj ImpinjInventorySearchMode (LLRP 1.0.1 §16.2.9 Custom)', () => {
  it('as an Impinj reader (the default), applies the search mode per antenna and reports it', async () => {
    const { sim, c, add, caps } = await reader();
    expect(caps.manufacturer).toBe(IMPINJ_VENDOR_ID);
    const session = { session: 2, tagPopulation: 32, tagTransitTimeMs: 0 };
    expect(
      await add(1, [
        { antennaId: 1, searchMode: 2, singulation: session },
        { antennaId: 3, searchMode: 3 },
        { antennaId: 4, transmitter: { hopTableId: 1, channelIndex: 1, powerIndex: 21 } },
      ]),
    ).toMatchObject({ code: S.M_Success });
    expect(sim.appliedRadio()).toBeNull(); // not running yet
    for (const m of [
      message(MessageType.ENABLE_ROSPEC, 2, { ROSpecID: 1 }),
      message(MessageType.START_ROSPEC, 3, { ROSpecID: 1 }),
    ])
      expect(statusOf(await c.req(m)).code).toBe(S.M_Success);
    expect(sim.appliedRadio()).toEqual({
      txPowerDbm: new Map([[4, 15]]),
      searchMode: new Map([
        [1, 'dual-target'],
        [3, 'single-target-suppression'],
      ]),
    });
    // A search mode the Octane SDK does not name (No_Target, 4) is out of range on its field.
    expect(await add(2, [{ antennaId: 2, searchMode: 4 }])).toMatchObject({
      code: S.M_ParameterError,
      description: 'antenna 2: no ImpinjInventorySearchMode 4',
      parameterError: chain(C1G2, { errorCode: S.P_FieldError, fieldError: { errorCode: S.A_OutOfRange } }),
    });
  });

  it('refuses Custom parameters it does not support: any, when not an Impinj reader (LLRP 1.0.1 §16.2.9)', async () => {
    const zebra = await reader(ZEBRA);
    expect(zebra.caps.manufacturer).toBe(ZEBRA);
    const unsupported = { errorCode: S.P_UnsupportedParameter };
    expect(await zebra.add(1, [{ antennaId: 1, searchMode: 2 }])).toMatchObject({
      code: S.M_ParameterError,
      description: 'antenna 1: Custom parameter vendor 25882 subtype 23 is not supported',
      parameterError: chain(C1G2, unsupported),
    });
    // The ROSpec was not added: the same ID without the Custom parameter is.
    expect((await zebra.add(1, [{ antennaId: 1 }])).code).toBe(S.M_Success);

    // An Impinj reader refuses another vendor's parameter, an Impinj one it does not have, and the
    // search mode outside C1G2InventoryCommand.
    const impinj = await reader(IMPINJ_VENDOR_ID);
    const custom = (vendor: number, subtype: number) =>
      param(ParamType.Custom, { VendorIdentifier: vendor, ParameterSubtype: subtype, Data: Buffer.alloc(2) });
    const withInInventory = (p: LlrpParam) => (ac: LlrpParam) => ({
      ...ac,
      params: ac.params.map((x) => (x.type === ParamType.C1G2InventoryCommand ? { ...x, params: [p] } : x)),
    });
    expect(
      await impinj.add(2, [{ antennaId: 1, searchMode: 0 }], withInInventory(custom(ZEBRA, 23))),
    ).toMatchObject({
      description: `antenna 1: Custom parameter vendor ${ZEBRA} subtype 23 is not supported`,
      parameterError: chain(C1G2, unsupported),
    });
    expect(
      await impinj.add(3, [{ antennaId: 1, searchMode: 0 }], withInInventory(custom(IMPINJ_VENDOR_ID, 22))),
    ).toMatchObject({ parameterError: chain(C1G2, unsupported) });
    const inAntennaConfiguration = (ac: LlrpParam) => ({ ...ac, params: [impinjSearchModeParam(2)] });
    expect(await impinj.add(4, [{ antennaId: 2 }], inAntennaConfiguration)).toMatchObject({
      description: 'antenna 2: Custom parameter vendor 25882 subtype 23 is not supported here',
      parameterError: chain([ParamType.Custom], unsupported),
    });
    // A body that is not the u16 is an invalid field.
    const short = param(ParamType.Custom, {
      VendorIdentifier: IMPINJ_VENDOR_ID,
      ParameterSubtype: 23,
      Data: Buffer.alloc(1),
    });
    expect(await impinj.add(5, [{ antennaId: 1, searchMode: 0 }], withInInventory(short))).toMatchObject({
      parameterError: chain(C1G2, { errorCode: S.P_FieldError, fieldError: { errorCode: S.A_Invalid } }),
    });
  });

  it('takes Impinj Custom parameters only on a connection that sent IMPINJ_ENABLE_EXTENSIONS (Impinj Octane LLRP)', async () => {
    const impinj = await reader(IMPINJ_VENDOR_ID, false);
    expect(await impinj.add(1, [{ antennaId: 1, searchMode: 2 }])).toMatchObject({
      code: S.M_ParameterError,
      description:
        'antenna 1: Custom parameter vendor 25882 subtype 23: Impinj extensions are not enabled on this connection (IMPINJ_ENABLE_EXTENSIONS)',
      parameterError: chain(C1G2, { errorCode: S.P_UnsupportedParameter }),
    });
    const resp = await impinj.c.req(impinjEnableExtensions(50));
    expect(statusOf(withCustomParams(resp)).code).toBe(S.M_Success);
    expect((await impinj.add(1, [{ antennaId: 1, searchMode: 2 }])).code).toBe(S.M_Success);
    // Another reader does not know the message: ERROR_MESSAGE, M_UnsupportedMessage, with its id.
    const zebra = await reader(ZEBRA);
    zebra.c.send(impinjEnableExtensions(51));
    const err = await zebra.c.response(51, MessageType.ERROR_MESSAGE);
    expect(err).toMatchObject({ type: MessageType.ERROR_MESSAGE, id: 51 });
    expect(statusOf(err).code).toBe(S.M_UnsupportedMessage);
  });
});
