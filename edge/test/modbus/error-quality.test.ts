import type { ReadingQuality } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { outcomeOfError, qualityOfError } from '../../src/modbus/error-quality.js';

// Errors exactly as modbus-serial 8 builds them (index.js): its error "classes" are plain functions
// setting name, message and errno; an exception response is an Error with `modbusCode`; a bad CRC is
// a plain Error.
const timedOut = () => ({ name: 'TransactionTimedOutError', message: 'Timed out', errno: 'ETIMEDOUT' });
const portNotOpen = () => ({ name: 'PortNotOpenError', message: 'Port Not Open', errno: 'ECONNREFUSED' });
const serialPortError = () => ({ name: 'SerialPortError', message: null, errno: 'ECONNREFUSED' });
const exception = (code: number) =>
  Object.assign(new Error(`Modbus exception ${code}: …`), { modbusCode: code });
const crcError = () => new Error('CRC error');

describe('modbus-serial error → reading quality', () => {
  it.each<[string, unknown, boolean, ReadingQuality]>([
    ['no answer within the timeout', timedOut(), true, 'timeout'],
    // Modbus Application Protocol V1.1b3 §7: every exception code is an exception response.
    ['exception 01 illegal function', exception(0x01), true, 'modbus_exception'],
    [
      'exception 02 illegal data address (map and device disagree)',
      exception(0x02),
      true,
      'modbus_exception',
    ],
    ['exception 03 illegal data value', exception(0x03), true, 'modbus_exception'],
    ['exception 04 server device failure', exception(0x04), true, 'modbus_exception'],
    ['exception 05 acknowledge', exception(0x05), true, 'modbus_exception'],
    ['exception 06 server device busy', exception(0x06), true, 'modbus_exception'],
    ['exception 08 memory parity error', exception(0x08), true, 'modbus_exception'],
    ['exception 0A gateway path unavailable', exception(0x0a), true, 'modbus_exception'],
    ['exception 0B gateway target failed to respond', exception(0x0b), true, 'modbus_exception'],
    ['reply with a bad CRC', crcError(), true, 'crc_error'],
    ['port not open', portNotOpen(), true, 'disconnected'],
    ['serial port error', serialPortError(), true, 'disconnected'],
    ['device gone under the request: a timeout', timedOut(), false, 'disconnected'],
    ['device gone under the request: a bad CRC', crcError(), false, 'disconnected'],
    ['device gone under the request: an exception', exception(0x04), false, 'disconnected'],
    ['short reply', new Error('Data length error, expected 9 got 4'), true, 'error'],
    ['an error that is not an object', 'weird', true, 'error'],
    ['null', null, true, 'error'],
  ])('%s → %s', (_case, err, portOpen, quality) => {
    expect(outcomeOfError(err, portOpen).quality).toBe(quality);
    if (portOpen) expect(qualityOfError(err)).toBe(quality);
  });

  it('keeps the error text, cut to 500 characters', () => {
    expect(outcomeOfError(timedOut(), true).error).toBe('Timed out');
    expect(outcomeOfError(new Error('x'.repeat(600)), true).error).toHaveLength(500);
    expect(outcomeOfError('weird', true).error).toBe('weird');
  });
});
