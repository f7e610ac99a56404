import {
  fieldErrorParam,
  findParam,
  findParams,
  IMPINJ_VENDOR_ID,
  type ImpinjSearchModeName,
  impinjSearchModeName,
  impinjSearchModeOf,
  isImpinjSearchMode,
  type LlrpParam,
  ParamType,
  parameterErrorParam,
  StatusCode,
} from '@coldtrace/shared/llrp';
import { SIM_RADIO, transmitPowerDbm } from './capabilities.js';

/** A ROSpec's radio settings the simulated reader applies, per antenna ID. */
export interface RadioApplied {
  /** Conducted power (dBm); an antenna not listed transmits at full power. */
  txPowerDbm: Map<number, number>;
  /** Impinj ImpinjInventorySearchMode (an Impinj reader only); an antenna not listed: the reader's own. */
  searchMode: Map<number, ImpinjSearchModeName>;
}

/** What is wrong with a ROSpec's AntennaConfiguration, as the reader reports it (LLRP 1.0.1 §16.2.8.1). */
export interface RadioRefusal {
  description: string;
  /** The ParameterError chain from the ROSpec down to the parameter or field at fault. */
  error: LlrpParam;
}

/**
 * The ParameterError chain ROSpec > AISpec > InventoryParameterSpec > `path` (LLRP 1.0.1 §16.2.8.1.2):
 * P_ParameterError down to the last parameter of `path`, which carries `last` (its own error code, and the
 * FieldError when a field is at fault).
 */
function errorChain(path: number[], last: { code: number; field?: { num: number; code: number } }) {
  const field = last.field && fieldErrorParam(last.field.num, last.field.code);
  let error = parameterErrorParam(path.at(-1)!, last.code, field);
  const above = [ParamType.ROSpec, ParamType.AISpec, ParamType.InventoryParameterSpec, ...path.slice(0, -1)];
  for (const type of above.reverse()) error = parameterErrorParam(type, StatusCode.P_ParameterError, error);
  return error;
}

/**
 * The Custom parameters (LLRP 1.0.1 §16.2.9) of a C1G2InventoryCommand: "Readers SHALL accept messages
 * that contain custom parameters and SHALL return an error when such parameters are unsupported". This
 * reader supports one, ImpinjInventorySearchMode (Impinj Octane LLRP), and only while it says it is an
 * Impinj reader (`manufacturer`); any other is P_UnsupportedParameter. A search mode the Octane SDK does
 * not name is A_OutOfRange on its field (InventorySearchMode, the first of the parameter).
 */
function searchModeOf(
  inv: LlrpParam,
  path: number[],
  manufacturer: number,
  impinjExtensions: boolean,
): ImpinjSearchModeName | undefined | RadioRefusal {
  let mode: ImpinjSearchModeName | undefined;
  for (const p of findParams(inv.params, ParamType.Custom)) {
    const at = [...path, ParamType.Custom];
    const what = `Custom parameter vendor ${p.fields['VendorIdentifier']} subtype ${p.fields['ParameterSubtype']}`;
    if (manufacturer !== IMPINJ_VENDOR_ID || !isImpinjSearchMode(p))
      return {
        description: `${what} is not supported`,
        error: errorChain(at, { code: StatusCode.P_UnsupportedParameter }),
      };
    if (!impinjExtensions)
      return {
        description: `${what}: Impinj extensions are not enabled on this connection (IMPINJ_ENABLE_EXTENSIONS)`,
        error: errorChain(at, { code: StatusCode.P_UnsupportedParameter }),
      };
    let value: number;
    try {
      value = impinjSearchModeOf(p)!;
    } catch (err) {
      const field = { num: 0, code: StatusCode.A_Invalid };
      return {
        description: (err as Error).message,
        error: errorChain(at, { code: StatusCode.P_FieldError, field }),
      };
    }
    mode = impinjSearchModeName(value);
    if (mode === undefined) {
      const field = { num: 0, code: StatusCode.A_OutOfRange };
      return {
        description: `no ImpinjInventorySearchMode ${value}`,
        error: errorChain(at, { code: StatusCode.P_FieldError, field }),
      };
    }
  }
  return mode;
}

/**
 * The AntennaConfigurations of a ROSpec's InventoryParameterSpecs (LLRP 1.0.1 §16.2.4.2.2, §16.2.6.6),
 * checked against this reader's antennas and tables (`capabilities.ts`): an unknown antenna, or an index
 * outside the TransmitPowerLevel or ReceiveSensitivity table, or a C1G2 RF mode it does not have, is
 * refused with the ParameterError chain down to the field (A_OutOfRange), a Custom parameter it does not
 * support down to that parameter (`searchModeOf`). Otherwise the transmit power per antenna, which the
 * simulated door then reads at, and the search mode per antenna.
 */
export function applyAntennaConfigs(
  spec: LlrpParam,
  antennas: readonly number[],
  manufacturer: number,
  impinjExtensions = false,
): RadioApplied | RadioRefusal {
  const applied: RadioApplied = { txPowerDbm: new Map(), searchMode: new Map() };
  const ai = findParam(spec.params, ParamType.AISpec);
  const configs = findParams(ai?.params ?? [], ParamType.InventoryParameterSpec).flatMap((ips) =>
    findParams(ips.params, ParamType.AntennaConfiguration),
  );
  /** … > AntennaConfiguration > … > FieldError(fieldNum, A_OutOfRange). */
  const refuse = (description: string, path: number[], fieldNum: number): RadioRefusal => {
    const field = { num: fieldNum, code: StatusCode.A_OutOfRange };
    return { description, error: errorChain(path, { code: StatusCode.P_FieldError, field }) };
  };
  const AC = ParamType.AntennaConfiguration;
  for (const c of configs) {
    const id = Number(c.fields['AntennaID']);
    if (!antennas.includes(id)) return refuse(`no antenna ${id}`, [AC], 0);
    const custom = findParam(c.params, ParamType.Custom);
    if (custom) {
      const what = `Custom parameter vendor ${custom.fields['VendorIdentifier']} subtype ${custom.fields['ParameterSubtype']}`;
      const error = errorChain([AC, ParamType.Custom], { code: StatusCode.P_UnsupportedParameter });
      return { description: `antenna ${id}: ${what} is not supported here`, error };
    }
    const tx = findParam(c.params, ParamType.RFTransmitter);
    if (tx) {
      const dBm = transmitPowerDbm(Number(tx.fields['TransmitPower']));
      if (dBm === undefined)
        return refuse(
          `antenna ${id}: no TransmitPower level ${tx.fields['TransmitPower']}`,
          [AC, ParamType.RFTransmitter],
          2,
        );
      applied.txPowerDbm.set(id, dBm);
    }
    const rx = findParam(c.params, ParamType.RFReceiver);
    const rxIndex = Number(rx?.fields['ReceiverSensitivity']);
    if (rx && !(rxIndex >= 1 && rxIndex <= SIM_RADIO.receiveSensitivityDb.length))
      return refuse(`antenna ${id}: no ReceiveSensitivity index ${rxIndex}`, [AC, ParamType.RFReceiver], 0);
    const inv = findParam(c.params, ParamType.C1G2InventoryCommand);
    const rf = findParam(inv?.params ?? [], ParamType.C1G2RFControl);
    if (rf && !SIM_RADIO.rfModes.has(Number(rf.fields['ModeIndex']))) {
      const path = [AC, ParamType.C1G2InventoryCommand, ParamType.C1G2RFControl];
      return refuse(`antenna ${id}: no C1G2 RF mode ${rf.fields['ModeIndex']}`, path, 0);
    }
    if (inv) {
      const mode = searchModeOf(inv, [AC, ParamType.C1G2InventoryCommand], manufacturer, impinjExtensions);
      if (typeof mode === 'object') return { ...mode, description: `antenna ${id}: ${mode.description}` };
      if (mode !== undefined) applied.searchMode.set(id, mode);
    }
  }
  return applied;
}
