import { describe, expect, it } from 'vitest';
import { decodeParams, encodeParams, param } from '../../src/llrp/codec.js';
import { ParamType } from '../../src/llrp/constants.js';
import {
  IMPINJ_SEARCH_MODES,
  impinjSearchModeName,
  impinjSearchModeOf,
  impinjSearchModeParam,
} from '../../src/llrp/impinj.js';
import { antennaConfigurationParam } from '../../src/llrp/messages.js';

const hex = (s: string) => Buffer.from(s.replaceAll(' ', ''), 'hex');

describe('Impinj ImpinjInventorySearchMode (LLRP 1.0.1 §16.2.9 Custom parameter, Impinj Octane LLRP)', () => {
  it('is a Custom TLV: vendor 25882, subtype 23, the mode as a u16', () => {
    // type 1023 | length 14 | VendorIdentifier 0x651a | ParameterSubtype 0x17 | InventorySearchMode 2
    const dual = hex('03ff 000e 0000651a 00000017 0002');
    expect(encodeParams([impinjSearchModeParam(IMPINJ_SEARCH_MODES['dual-target'])])).toEqual(dual);
    const [p] = decodeParams(dual);
    expect(impinjSearchModeOf(p!)).toBe(2);
    expect(impinjSearchModeName(impinjSearchModeOf(p!)!)).toBe('dual-target');
    expect(encodeParams([impinjSearchModeParam(6)])).toEqual(hex('03ff 000e 0000651a 00000017 0006'));
  });

  it('goes into C1G2InventoryCommand after C1G2SingulationControl, byte for byte', () => {
    const bytes = encodeParams([
      antennaConfigurationParam({
        antennaId: 3,
        singulation: { session: 1, tagPopulation: 32, tagTransitTimeMs: 0 },
        searchMode: IMPINJ_SEARCH_MODES['single-target-suppression'],
      }),
    ]);
    expect(bytes).toEqual(
      hex(
        [
          '00de 0024 0003', // AntennaConfiguration, 36 bytes, AntennaID 3
          '014a 001e 00', // C1G2InventoryCommand, 30 bytes, TagInventoryStateAware 0
          '0150 000b 40 0020 00000000', // C1G2SingulationControl: Session 1, population 32, transit 0
          '03ff 000e 0000651a 00000017 0003', // ImpinjInventorySearchMode 3 (TagFocus)
        ].join(''),
      ),
    );
    const inv = decodeParams(bytes)[0]!.params[0]!;
    expect(inv.type).toBe(ParamType.C1G2InventoryCommand);
    expect(inv.params.map(impinjSearchModeOf)).toEqual([undefined, 3]);
  });

  it('reads only Impinj subtype 23, and refuses a body that is not a u16', () => {
    const custom = (vendor: number, subtype: number, data: string) =>
      param(ParamType.Custom, { VendorIdentifier: vendor, ParameterSubtype: subtype, Data: hex(data) });
    expect(impinjSearchModeOf(custom(25882, 22, '0002'))).toBeUndefined(); // ImpinjSubRegulatoryRegion
    expect(impinjSearchModeOf(custom(161, 23, '0002'))).toBeUndefined(); // another vendor's subtype 23
    expect(impinjSearchModeOf(param(ParamType.C1G2RFControl, { ModeIndex: 2, Tari: 0 }))).toBeUndefined();
    expect(() => impinjSearchModeOf(custom(25882, 23, '000200'))).toThrow(/3 bytes, not a u16/);
    expect(() => impinjSearchModeOf(custom(25882, 23, ''))).toThrow(/0 bytes/);
    expect(() => impinjSearchModeParam(0x10000)).toThrow(/not a u16/);
  });

  it('names the Octane search modes; No_Target (4) has no name', () => {
    expect(IMPINJ_SEARCH_MODES).toEqual({
      'reader-selected': 0,
      'single-target': 1,
      'dual-target': 2,
      'single-target-suppression': 3,
      'single-target-reset': 5,
      'dual-target-b-to-a-select': 6,
    });
    expect(impinjSearchModeName(4)).toBeUndefined();
    expect(impinjSearchModeName(7)).toBeUndefined();
  });
});
