/**
 * The XY-MD02 setup held in holding registers (XY-MD02 manual, "holding registers" table, as published
 * by its sellers; FC 0x03 reads them, FC 0x06 writes one):
 *
 * | register | content                     | values                          |
 * | 0x0101   | slave address               | 1..247                          |
 * | 0x0102   | baud rate code              | 0 = 9600, 1 = 14400, 2 = 19200  |
 * | 0x0103   | temperature correction      | int16 °C × 10, −10.0..10.0 °C   |
 * | 0x0104   | humidity correction         | int16 %RH × 10, −10.0..10.0 %RH |
 *
 * A new address or baud rate is stored at once but used only after the device restarts (the manual:
 * "power on again"); the corrections apply to the next measurement.
 */
export const SETUP_REGISTER = {
  address: 0x0101,
  baudRate: 0x0102,
  tempOffset: 0x0103,
  rhOffset: 0x0104,
} as const;

/** Baud rate by its code in register 0x0102. */
export const XY_MD02_BAUD_RATES = [9600, 14400, 19200] as const;

/** Largest correction either way, in tenths (±10.0). */
const MAX_OFFSET_TENTHS = 100;

export interface SensorSetup {
  address: number;
  baudRate: number;
  /** Added to the measured temperature, °C. */
  tempOffsetC: number;
  /** Added to the measured humidity, %RH. */
  rhOffset: number;
}

/** The setup registers' words, by register (baud rate 0xFFFF for a speed the XY-MD02 has no code for). */
export function setupWords(s: SensorSetup): Map<number, number> {
  const tenths = (v: number) => Math.round(v * 10) & 0xffff;
  const baudCode = (XY_MD02_BAUD_RATES as readonly number[]).indexOf(s.baudRate);
  return new Map([
    [SETUP_REGISTER.address, s.address],
    [SETUP_REGISTER.baudRate, baudCode < 0 ? 0xffff : baudCode],
    [SETUP_REGISTER.tempOffset, tenths(s.tempOffsetC)],
    [SETUP_REGISTER.rhOffset, tenths(s.rhOffset)],
  ]);
}

/**
 * The stored setup after writing `value` to `register` (FC 0x06), or the exception the device answers:
 * 0x02 for a register it does not have, 0x03 for a value out of range (Modbus Application Protocol
 * V1.1b3 §7).
 */
export function writeSetup(
  s: SensorSetup,
  register: number,
  value: number,
): { setup: SensorSetup } | { exception: 0x02 | 0x03 } {
  const signed = value >= 0x8000 ? value - 0x10000 : value;
  const offset = Math.abs(signed) <= MAX_OFFSET_TENTHS ? signed / 10 : undefined;
  switch (register) {
    case SETUP_REGISTER.address:
      return value >= 1 && value <= 247 ? { setup: { ...s, address: value } } : { exception: 0x03 };
    case SETUP_REGISTER.baudRate: {
      const baudRate = XY_MD02_BAUD_RATES[value];
      return baudRate ? { setup: { ...s, baudRate } } : { exception: 0x03 };
    }
    case SETUP_REGISTER.tempOffset:
      return offset === undefined ? { exception: 0x03 } : { setup: { ...s, tempOffsetC: offset } };
    case SETUP_REGISTER.rhOffset:
      return offset === undefined ? { exception: 0x03 } : { setup: { ...s, rhOffset: offset } };
    default:
      return { exception: 0x02 };
  }
}
