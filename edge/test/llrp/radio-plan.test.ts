import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildROSpec,
  decodeBody,
  encodeMessage,
  findParam,
  findParams,
  IMPINJ_VENDOR_ID,
  impinjSearchModeOf,
  LLRP_HEADER_BYTES,
  MessageType,
  message,
  ParamType,
  readerCapabilitiesOf,
} from '@coldtrace/shared/llrp';
import { vectorsDir } from '@coldtrace/shared/testing';
import { describe, expect, it } from 'vitest';
import { planRadio } from '../../src/llrp/radio-plan.js';
import { portalConfigSchema } from '../../src/portal/portal-config.js';

/** A real reader's capabilities (EdgeX capture of an Impinj reader: 4 antennas, 10-30 dBm, 10 RF modes). */
const caps = readerCapabilitiesOf(
  decodeBody(
    MessageType.GET_READER_CAPABILITIES_RESPONSE,
    1,
    readFileSync(join(vectorsDir('llrp-edgex'), 'GetReaderCapabilitiesResponse-000.bytes')),
  ),
);

describe('radio settings mapped to the reader (LLRP 1.0.1 §16.2.6.6)', () => {
  it("maps dBm to the highest power level not above it, sensitivity and mode to the reader's tables", () => {
    const plan = planRadio(
      {
        txPowerDbm: 24.1,
        rfMode: 1002,
        session: 2,
        tagPopulation: 100,
        antennas: { '3': { txPowerDbm: 15, rxSensitivityDb: 12 } },
      },
      [3, 1],
      caps,
    );
    expect(plan).toEqual([
      {
        antennaId: 1,
        // 24.00 dBm: index (2400 - 1000) / 25 + 1; never above what was asked (regulatory limits).
        transmitter: { hopTableId: 1, channelIndex: 1, powerIndex: 57 },
        rfMode: 1002,
        singulation: { session: 2, tagPopulation: 100, tagTransitTimeMs: 0 },
      },
      {
        antennaId: 3,
        transmitter: { hopTableId: 1, channelIndex: 1, powerIndex: 21 },
        receiverSensitivityIndex: 4,
        rfMode: 1002,
        singulation: { session: 2, tagPopulation: 100, tagTransitTimeMs: 0 },
      },
    ]);
    expect(caps.transmitPower.find((p) => p.index === 57)!.dBm).toBe(24);
    expect(planRadio({}, [1, 2], caps)).toEqual([{ antennaId: 1 }, { antennaId: 2 }]);
  });

  it('names every setting the reader cannot do in one llrp_radio_config error', () => {
    const settings = {
      txPowerDbm: 33,
      antennas: { '2': { txPowerDbm: 9, rxSensitivityDb: 7, rfMode: 99 } },
    };
    expect(() => planRadio(settings, [1, 2, 5], caps)).toThrow(
      expect.objectContaining({
        code: 'llrp_radio_config',
        message:
          'radio settings the reader cannot do: ' +
          "antenna 1: txPowerDbm 33 is above the reader's maximum 30.00 dBm; " +
          "antenna 2: txPowerDbm 9 is below the reader's minimum 10.00 dBm; " +
          "antenna 2: rxSensitivityDb 7 is not in the reader's table (0 dB to 50 dB (42 values)); " +
          "antenna 2: rfMode 99 is not one of the reader's C1G2 RF modes (0, 1, 2, 3, 4, 1000, 1002, 1003, 1004, 1005); " +
          'antenna 5: not a C1G2 antenna of this reader (it has 1, 2, 3, 4)',
      }),
    );
  });

  it('puts them in the ROSpec as AntennaConfiguration, RFReceiver, RFTransmitter and C1G2 settings', () => {
    const plan = planRadio({ txPowerDbm: 20, rxSensitivityDb: 0, rfMode: 4, session: 1 }, [1], caps);
    const spec = buildROSpec({ rospecId: 3, antennas: [1], reportEveryTags: 1, antennaConfigs: plan });
    const bytes = encodeMessage(message(MessageType.ADD_ROSPEC, 9, {}, [spec]));
    const back = decodeBody(MessageType.ADD_ROSPEC, 9, bytes.subarray(LLRP_HEADER_BYTES));
    const ai = findParam(findParam(back.params, ParamType.ROSpec)!.params, ParamType.AISpec)!;
    const ips = findParam(ai.params, ParamType.InventoryParameterSpec)!;
    const ac = findParam(ips.params, ParamType.AntennaConfiguration)!;
    expect(ac.fields).toEqual({ AntennaID: 1 });
    expect(ac.params.map((p) => [p.type, p.fields])).toEqual([
      [ParamType.RFReceiver, { ReceiverSensitivity: 1 }],
      [ParamType.RFTransmitter, { HopTableID: 1, ChannelIndex: 1, TransmitPower: 41 }],
      [ParamType.C1G2InventoryCommand, { TagInventoryStateAware: false }],
    ]);
    const inv = ac.params[2]!;
    expect(inv.params.map((p) => [p.type, p.fields])).toEqual([
      [ParamType.C1G2RFControl, { ModeIndex: 4, Tari: 0 }],
      [ParamType.C1G2SingulationControl, { Session: 1, TagPopulation: 32, TagTransitTime: 0 }],
    ]);
  });

  it('sends the search mode to an Impinj reader only (ImpinjInventorySearchMode, a Custom parameter)', () => {
    expect(caps.manufacturer).toBe(IMPINJ_VENDOR_ID); // the EdgeX capture is of an Impinj reader
    const plan = planRadio({ searchMode: 'dual-target', antennas: { '2': { session: 2 } } }, [1, 2], caps);
    expect(plan).toEqual([
      { antennaId: 1, searchMode: 2 },
      { antennaId: 2, singulation: { session: 2, tagPopulation: 32, tagTransitTimeMs: 0 }, searchMode: 2 },
    ]);
    const spec = buildROSpec({ rospecId: 3, antennas: [1, 2], reportEveryTags: 1, antennaConfigs: plan });
    const bytes = encodeMessage(message(MessageType.ADD_ROSPEC, 9, {}, [spec]));
    const back = decodeBody(MessageType.ADD_ROSPEC, 9, bytes.subarray(LLRP_HEADER_BYTES));
    const ai = findParam(findParam(back.params, ParamType.ROSpec)!.params, ParamType.AISpec)!;
    const ips = findParam(ai.params, ParamType.InventoryParameterSpec)!;
    const modes = findParams(ips.params, ParamType.AntennaConfiguration).map((ac) =>
      findParam(ac.params, ParamType.C1G2InventoryCommand)!.params.map(
        (p) => impinjSearchModeOf(p) ?? p.type,
      ),
    );
    expect(modes).toEqual([[2], [ParamType.C1G2SingulationControl, 2]]);
    // reader-default sends nothing: the reader keeps its own search mode.
    expect(planRadio({ searchMode: 'reader-default' }, [1], caps)).toEqual([{ antennaId: 1 }]);
    expect(planRadio({ searchMode: 'single-target-suppression' }, [1], caps)).toEqual([
      { antennaId: 1, searchMode: 3 },
    ]);
  });

  it('refuses a search mode for a reader that is not an Impinj reader, with the other problems', () => {
    const zebra = { ...caps, manufacturer: 10642 };
    expect(() => planRadio({ searchMode: 'single-target', txPowerDbm: 40 }, [1], zebra)).toThrow(
      expect.objectContaining({
        code: 'llrp_radio_config',
        message:
          'radio settings the reader cannot do: searchMode single-target is an Impinj extension ' +
          '(ImpinjInventorySearchMode) and this reader is not an Impinj reader (DeviceManufacturerName ' +
          '10642, Impinj is 25882); use reader-default or leave searchMode out; ' +
          "antenna 1: txPowerDbm 40 is above the reader's maximum 30.00 dBm",
      }),
    );
    expect(planRadio({ searchMode: 'reader-default', session: 1 }, [1], zebra)).toEqual([
      { antennaId: 1, singulation: { session: 1, tagPopulation: 32, tagTransitTimeMs: 0 } },
    ]);
  });

  it('refuses in the config what cannot be right whatever the reader', () => {
    const portal = (radio: unknown) =>
      portalConfigSchema.safeParse({
        id: 'dock-1',
        reader: { host: 'r', radio },
        outside: { locationId: 'yard', antennas: [1] },
        inside: { locationId: 'room', antennas: [2] },
      });
    expect(portal({ txPowerDbm: 25, antennas: { '2': { session: 1 } } }).success).toBe(true);
    const issues = (radio: unknown) => {
      const r = portal(radio);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ session: 4 })).toEqual([expect.stringMatching(/^reader\.radio\.session: /)]);
    expect(issues({ tagPopulation: 50 })).toEqual([
      'reader.radio: tagPopulation and tagTransitTimeMs go with a session (C1G2SingulationControl)',
    ]);
    expect(issues({ antennas: { '3': { txPowerDbm: 20 } } })).toEqual([
      'reader.radio.antennas.3: antenna 3 is on neither side of the portal',
    ]);
    expect(issues({ power: 20 })).toEqual([expect.stringMatching(/^reader\.radio: .*power/)]);
    // The search mode by name, per portal (not per antenna); a number or an unknown name is refused.
    expect(issues({ searchMode: 'dual-target', session: 2 })).toEqual([]);
    expect(issues({ searchMode: 'reader-default' })).toEqual([]);
    expect(issues({ searchMode: 2 })).toEqual([expect.stringMatching(/^reader\.radio\.searchMode: /)]);
    expect(issues({ searchMode: 'tag-focus' })).toEqual([
      expect.stringMatching(/^reader\.radio\.searchMode: .*"single-target-suppression"/),
    ]);
    expect(issues({ antennas: { '2': { searchMode: 'dual-target' } } })).toEqual([
      expect.stringMatching(/^reader\.radio\.antennas\.2: .*searchMode/),
    ]);
  });
});
