import { decodeParams, encodeParams, type LlrpMessage, type LlrpParam, param } from './codec.js';
import { MessageType, ParamType } from './constants.js';
import { encodeError, malformed } from './field-codec.js';

/**
 * Impinj's IANA Private Enterprise Number: the VendorIdentifier of its Custom parameters (LLRP 1.0.1
 * §16.2.9) and the DeviceManufacturerName of its readers' GeneralDeviceCapabilities (§16.2.3.2).
 */
export const IMPINJ_VENDOR_ID = 25882;

/**
 * Impinj Octane LLRP: MessageSubtype of IMPINJ_ENABLE_EXTENSIONS (an LLRP 1.0.1 CUSTOM_MESSAGE, type 1023) and
 * of its response. An Impinj reader takes Impinj Custom parameters only on a connection that enabled them.
 */
export const IMPINJ_ENABLE_EXTENSIONS_SUBTYPE = 21;
export const IMPINJ_ENABLE_EXTENSIONS_RESPONSE_SUBTYPE = 22;

/** IMPINJ_ENABLE_EXTENSIONS: VendorIdentifier 25882, MessageSubtype 21, a reserved u32 (zero). */
export function impinjEnableExtensions(id = 0): LlrpMessage {
  return {
    type: MessageType.CUSTOM_MESSAGE,
    id,
    fields: {
      VendorIdentifier: IMPINJ_VENDOR_ID,
      MessageSubtype: IMPINJ_ENABLE_EXTENSIONS_SUBTYPE,
      Data: Buffer.alloc(4),
    },
    params: [],
  };
}

/** Whether a CUSTOM_MESSAGE is Impinj's with this subtype. */
export function isImpinjMessage(m: LlrpMessage, subtype: number): boolean {
  return (
    m.type === MessageType.CUSTOM_MESSAGE &&
    Number(m.fields['VendorIdentifier']) === IMPINJ_VENDOR_ID &&
    Number(m.fields['MessageSubtype']) === subtype
  );
}

/** IMPINJ_ENABLE_EXTENSIONS_RESPONSE: its LLRPStatus (`status`) after the subtype. */
export function impinjEnableExtensionsResponse(id: number, status: LlrpParam): LlrpMessage {
  return {
    type: MessageType.CUSTOM_MESSAGE,
    id,
    fields: {
      VendorIdentifier: IMPINJ_VENDOR_ID,
      MessageSubtype: IMPINJ_ENABLE_EXTENSIONS_RESPONSE_SUBTYPE,
      Data: encodeParams([status]),
    },
    params: [],
  };
}

/**
 * The parameters a vendor's CUSTOM_MESSAGE carries after its subtype (its Data decoded as LLRP parameters),
 * as the message's own params, so that `statusOf` reads an IMPINJ_ENABLE_EXTENSIONS_RESPONSE's LLRPStatus.
 */
export function withCustomParams(m: LlrpMessage): LlrpMessage {
  const data = m.fields['Data'];
  return data instanceof Uint8Array ? { ...m, params: decodeParams(data) } : m;
}

/** Impinj Octane LLRP: ParameterSubtype of ImpinjInventorySearchMode (a Custom in C1G2InventoryCommand). */
export const IMPINJ_INVENTORY_SEARCH_MODE_SUBTYPE = 23;

/**
 * Impinj Octane LLRP ImpinjInventorySearchType, the Gen2 inventory search mode (which inventoried flag,
 * A or B, the reader targets and whether it flips tags back), by the names the gateway config uses.
 * No_Target (4) is left out: the Octane SDK offers no such search mode.
 */
export const IMPINJ_SEARCH_MODES = {
  /** Reader_Selected: the reader picks (per RF mode). */
  'reader-selected': 0,
  /** Single_Target: inventory A → B only; tags stay quiet for their session's persistence. */
  'single-target': 1,
  /** Dual_Target: A → B, then B → A, repeatedly; every tag in the field is read again and again. */
  'dual-target': 2,
  /** Single_Target_With_Suppression (TagFocus): A → B, tags held in B while powered (Impinj tags, session 1). */
  'single-target-suppression': 3,
  /** Single_Target_BtoA (the Octane SDK's SingleTargetReset): B → A, to put a population back into A. */
  'single-target-reset': 5,
  /** Dual_Target_with_BtoASelect (the Octane SDK's DualTargetBtoASelect): dual target, Select moving B to A. */
  'dual-target-b-to-a-select': 6,
} as const;

export type ImpinjSearchModeName = keyof typeof IMPINJ_SEARCH_MODES;

/** The config name of an ImpinjInventorySearchType value; undefined for one without a name (4, ≥ 7). */
export function impinjSearchModeName(mode: number): ImpinjSearchModeName | undefined {
  return (Object.keys(IMPINJ_SEARCH_MODES) as ImpinjSearchModeName[]).find(
    (k) => IMPINJ_SEARCH_MODES[k] === mode,
  );
}

/**
 * LLRP 1.0.1 §16.2.9 Custom parameter carrying the Impinj Octane LLRP ImpinjInventorySearchMode:
 * VendorIdentifier u32 25882, ParameterSubtype u32 23, InventorySearchMode u16 (14 bytes with the TLV
 * header). It goes inside a C1G2InventoryCommand, after its standard sub-parameters.
 */
export function impinjSearchModeParam(mode: number): LlrpParam {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0xffff)
    throw encodeError(`ImpinjInventorySearchMode ${mode} is not a u16`);
  const data = Buffer.alloc(2);
  data.writeUInt16BE(mode, 0);
  return param(ParamType.Custom, {
    VendorIdentifier: IMPINJ_VENDOR_ID,
    ParameterSubtype: IMPINJ_INVENTORY_SEARCH_MODE_SUBTYPE,
    Data: data,
  });
}

/** Whether a decoded parameter is Impinj's ImpinjInventorySearchMode (by vendor and subtype). */
export function isImpinjSearchMode(p: LlrpParam): boolean {
  return (
    p.type === ParamType.Custom &&
    Number(p.fields['VendorIdentifier']) === IMPINJ_VENDOR_ID &&
    Number(p.fields['ParameterSubtype']) === IMPINJ_INVENTORY_SEARCH_MODE_SUBTYPE
  );
}

/**
 * The InventorySearchMode of a decoded ImpinjInventorySearchMode Custom parameter; undefined for any
 * other parameter. A body that is not exactly the u16 (Impinj Octane LLRP) is `llrp_malformed`.
 */
export function impinjSearchModeOf(p: LlrpParam): number | undefined {
  if (!isImpinjSearchMode(p)) return undefined;
  const data = p.fields['Data'];
  if (!(data instanceof Uint8Array) || data.byteLength !== 2) {
    const n = data instanceof Uint8Array ? data.byteLength : 0;
    throw malformed(`ImpinjInventorySearchMode carries ${n} bytes, not a u16`, { type: ParamType.Custom });
  }
  return (data[0]! << 8) | data[1]!;
}
