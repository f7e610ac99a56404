import { ColdtraceError } from '@coldtrace/shared';

/**
 * The XY-MD02 setup holding registers (read with FC 0x03, written with FC 0x06): 0x0101 slave address
 * 1..247, 0x0102 baud rate code (0 = 9600, 1 = 14400, 2 = 19200), 0x0103 temperature correction and
 * 0x0104 humidity correction, int16 in tenths, −10.0..10.0. The module has no manual of its own: this is
 * the "holding register" table its sellers publish with it, and the same layout appears in independent
 * transcriptions of that sheet and in third-party drivers for the XY-MD01/XY-MD02 (docs/modbus.md,
 * "XY-MD02 register map: sources"). A new address or baud rate is used only after the device is powered
 * off and on; a correction applies to the next measurement.
 */
export const SETUP_FIRST_REGISTER = 0x0101;
export const SETUP_REGISTER_COUNT = 4;
export const ADDRESS_REGISTER = 0x0101;
export const BAUD_REGISTER = 0x0102;
export const TEMP_CORRECTION_REGISTER = 0x0103;
export const RH_CORRECTION_REGISTER = 0x0104;
/** The largest correction either way the registers take, °C or %RH. */
export const MAX_CORRECTION = 10;

export const XY_MD02_BAUD_RATES = [9600, 14400, 19200] as const;

export interface SensorSetup {
  address: number;
  /** Undefined when the register holds a code the manual does not list. */
  baudRate: number | undefined;
  tempOffsetC: number;
  rhOffset: number;
}

/** The four setup registers, from 0x0101 on, decoded. */
export function decodeSetup(words: readonly number[]): SensorSetup {
  const tenths = (w: number) => (w >= 0x8000 ? w - 0x10000 : w) / 10;
  return {
    address: words[0]!,
    baudRate: XY_MD02_BAUD_RATES[words[1]!],
    tempOffsetC: tenths(words[2]!),
    rhOffset: tenths(words[3]!),
  };
}

/** The code register 0x0102 takes for `baudRate`, or undefined for a speed the device does not have. */
export function baudCode(baudRate: number): number | undefined {
  const i = (XY_MD02_BAUD_RATES as readonly number[]).indexOf(baudRate);
  return i < 0 ? undefined : i;
}

/**
 * The register word for a correction of `value` (°C or %RH): int16 tenths. Refuses, before anything is
 * sent, a value the XY-MD02 cannot hold: not a number, beyond ±10.0, or finer than 0.1.
 */
export function correctionWord(value: number, option: string, unit: string): number {
  const tenths = Math.round(value * 10);
  if (!Number.isFinite(value) || Math.abs(value) > MAX_CORRECTION || Math.abs(value * 10 - tenths) > 1e-9)
    throw new ColdtraceError(
      'sensor_calibration_invalid',
      `${option} must be -${MAX_CORRECTION.toFixed(1)}..${MAX_CORRECTION.toFixed(1)} ${unit} in steps of 0.1 (what the XY-MD02 stores), got ${value}`,
    );
  return tenths & 0xffff;
}

/** A correction as `sensor info` and the log show it: `+0.5`, `-1.0`. */
export function signedTenths(v: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
}
