/**
 * The XY-MD02 setup holding registers (XY-MD02 manual, "holding registers" table; read with FC 0x03,
 * written with FC 0x06): 0x0101 slave address 1..247, 0x0102 baud rate code (0 = 9600, 1 = 14400,
 * 2 = 19200), 0x0103 temperature correction and 0x0104 humidity correction, int16 in tenths (±10.0).
 * A new address or baud rate is used only after the device is powered off and on.
 */
export const SETUP_FIRST_REGISTER = 0x0101;
export const SETUP_REGISTER_COUNT = 4;
export const ADDRESS_REGISTER = 0x0101;
export const BAUD_REGISTER = 0x0102;

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
