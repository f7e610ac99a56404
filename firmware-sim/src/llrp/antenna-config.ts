import {
  fieldErrorParam,
  findParam,
  findParams,
  type LlrpParam,
  ParamType,
  parameterErrorParam,
  StatusCode,
} from '@coldtrace/shared/llrp';
import { SIM_RADIO, transmitPowerDbm } from './capabilities.js';

/** A ROSpec's radio settings the simulated reader applies: conducted power per antenna (dBm). */
export type RadioApplied = Map<number, number>;

/** What is wrong with a ROSpec's AntennaConfiguration, as the reader reports it (LLRP 1.0.1 §16.2.8.1). */
export interface RadioRefusal {
  description: string;
  /** The ParameterError chain from the ROSpec down to the field at fault. */
  error: LlrpParam;
}

/**
 * The AntennaConfigurations of a ROSpec's InventoryParameterSpecs (LLRP 1.0.1 §16.2.4.2.2, §16.2.6.6),
 * checked against this reader's antennas and tables (`capabilities.ts`): an unknown antenna, or an index
 * outside the TransmitPowerLevel or ReceiveSensitivity table, or a C1G2 RF mode it does not have, is
 * refused with the ParameterError chain down to the field (A_OutOfRange). Otherwise the transmit power
 * per antenna, which the simulated door then reads at.
 */
export function applyAntennaConfigs(
  spec: LlrpParam,
  antennas: readonly number[],
): RadioApplied | RadioRefusal {
  const power: RadioApplied = new Map();
  const ai = findParam(spec.params, ParamType.AISpec);
  const configs = findParams(ai?.params ?? [], ParamType.InventoryParameterSpec).flatMap((ips) =>
    findParams(ips.params, ParamType.AntennaConfiguration),
  );
  /** ROSpec > AISpec > InventoryParameterSpec > AntennaConfiguration > … > FieldError(fieldNum). */
  const refuse = (description: string, path: number[], fieldNum: number): RadioRefusal => {
    let error = parameterErrorParam(
      path.at(-1)!,
      StatusCode.P_FieldError,
      fieldErrorParam(fieldNum, StatusCode.A_OutOfRange),
    );
    for (const type of [...path.slice(0, -1)].reverse())
      error = parameterErrorParam(type, StatusCode.P_ParameterError, error);
    const base = [ParamType.ROSpec, ParamType.AISpec, ParamType.InventoryParameterSpec];
    for (const type of base.reverse()) error = parameterErrorParam(type, StatusCode.P_ParameterError, error);
    return { description, error };
  };
  const AC = ParamType.AntennaConfiguration;
  for (const c of configs) {
    const id = Number(c.fields['AntennaID']);
    if (!antennas.includes(id)) return refuse(`no antenna ${id}`, [AC], 0);
    const tx = findParam(c.params, ParamType.RFTransmitter);
    if (tx) {
      const dBm = transmitPowerDbm(Number(tx.fields['TransmitPower']));
      if (dBm === undefined)
        return refuse(
          `antenna ${id}: no TransmitPower level ${tx.fields['TransmitPower']}`,
          [AC, ParamType.RFTransmitter],
          2,
        );
      power.set(id, dBm);
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
  }
  return power;
}
