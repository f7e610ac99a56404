import type { ReadingQuality } from '@coldtrace/shared';

/**
 * Maps an error from modbus-serial 8 to a reading quality. modbus-serial marks its errors with
 * `errno` (ETIMEDOUT: TransactionTimedOutError; ECONNREFUSED: PortNotOpenError/SerialPortError) and
 * `modbusCode` (an exception response, Modbus Application Protocol V1.1b3 §7). A bad CRC is only a
 * plain `Error("CRC error")` (index.js `_onReceive`), so that one case is recognised by its message.
 */
export function qualityOfError(err: unknown): Exclude<ReadingQuality, 'ok'> {
  if (typeof err !== 'object' || err === null) return 'error';
  const e = err as {
    errno?: unknown;
    modbusCode?: unknown;
    message?: unknown;
    name?: unknown;
    code?: unknown;
  };
  if (typeof e.modbusCode === 'number') return 'modbus_exception';
  if (e.errno === 'ETIMEDOUT') return 'timeout';
  if (e.errno === 'ECONNREFUSED' || e.name === 'PortNotOpenError') return 'disconnected';
  if (typeof e.message === 'string' && e.message === 'CRC error') return 'crc_error';
  return 'error';
}

/**
 * The reading a failed request gives: its error's quality, or `disconnected` whatever the error when the
 * port is no longer open (the device went away under the request).
 */
export function outcomeOfError(
  err: unknown,
  portOpen: boolean,
): { quality: Exclude<ReadingQuality, 'ok'>; error: string } {
  return { quality: portOpen ? qualityOfError(err) : 'disconnected', error: describeError(err) };
}

export function describeError(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'message' in err) return String(err.message).slice(0, 500);
  return String(err).slice(0, 500);
}
