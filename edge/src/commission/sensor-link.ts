import { existsSync } from 'node:fs';
import { ColdtraceError, errorMessage, systemClock } from '@coldtrace/shared';
import ModbusRTU from 'modbus-serial';
import { onClockDeadline } from '../modbus/clock-deadline.js';
import { describeError, qualityOfError } from '../modbus/error-quality.js';
import { MatchedRtuPort } from '../modbus/matched-rtu-port.js';

export interface SensorLinkOptions {
  path: string;
  baudRate: number;
  timeoutMs: number;
}

/** Requests to one sensor at a time on a serial bus, each failure a ColdtraceError saying what to check. */
export interface SensorLink {
  /** FC 0x03 (Modbus Application Protocol V1.1b3 §6.3). */
  readHolding(address: number, start: number, count: number): Promise<number[]>;
  /** FC 0x04 (§6.4). */
  readInput(address: number, start: number, count: number): Promise<number[]>;
  /** FC 0x06 (§6.6). */
  writeRegister(address: number, register: number, value: number): Promise<void>;
  /** Whether anything answers at `address` (an exception or a garbled answer counts: it is there). */
  responds(address: number, probeRegister: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Opens the bus through the gateway's own port (`MatchedRtuPort`: the receive buffer cleared before
 * each request, only the answer to it passed on), so that scanning past a slow device never takes its
 * late answer for another address's.
 */
export async function openSensorLink(opts: SensorLinkOptions): Promise<SensorLink> {
  if (!existsSync(opts.path))
    throw new ColdtraceError(
      'sensor_port_missing',
      `serial device ${opts.path} does not exist: is the RS-485 adapter plugged in, and is this its path?`,
    );
  const port = new MatchedRtuPort(opts.path, {
    baudRate: opts.baudRate,
    parity: 'none',
    stopBits: 1,
    dataBits: 8,
    now: () => systemClock.now(),
    onDiscard: () => {},
  });
  const client = new ModbusRTU(port);
  client.on('error', () => {
    // a failed request rejects with the error; the event alone must not throw
  });
  try {
    await new Promise<void>((resolve, reject) =>
      client.open((err: unknown) => (err ? reject(err) : resolve())),
    );
  } catch (err) {
    throw new ColdtraceError('sensor_port_missing', `cannot open ${opts.path}: ${errorMessage(err)}`);
  }
  // modbus-serial's own timer is off: the deadline ends the request and tells the port.
  client.setTimeout(0);

  const request = async <T>(address: number, what: string, run: () => Promise<T>): Promise<T> => {
    client.setID(address);
    try {
      return await onClockDeadline(run(), systemClock, opts.timeoutMs, () => port.abandon());
    } catch (err) {
      throw explain(err, address, what, opts);
    }
  };

  return {
    readHolding: (address, start, count) =>
      request(address, `reading holding registers 0x${hex(start)}`, () =>
        client.readHoldingRegisters(start, count),
      ).then((r) => r.data),
    readInput: (address, start, count) =>
      request(address, `reading input registers 0x${hex(start)}`, () =>
        client.readInputRegisters(start, count),
      ).then((r) => r.data),
    async writeRegister(address, register, value) {
      await request(address, `writing register 0x${hex(register)}`, () =>
        client.writeRegister(register, value),
      );
    },
    async responds(address, probeRegister) {
      try {
        await request(address, 'probing', () => client.readHoldingRegisters(probeRegister, 1));
        return true;
      } catch (err) {
        if (err instanceof ColdtraceError && err.code === 'sensor_no_answer') return false;
        if (err instanceof ColdtraceError && err.code === 'sensor_port_missing') throw err;
        return true;
      }
    },
    async close() {
      if (client.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
    },
  };
}

/** Modbus Application Protocol V1.1b3 §7: the exception codes a setup request can meet. */
const EXCEPTIONS: Record<number, string> = {
  1: 'illegal function: the device does not take this request',
  2: 'illegal data address: the device has no such register (is it an XY-MD02?)',
  3: 'illegal data value: the device refuses this value',
  4: 'slave device failure',
};

function explain(err: unknown, address: number, what: string, opts: SensorLinkOptions): ColdtraceError {
  const at = `address ${address} on ${opts.path} at ${opts.baudRate} baud`;
  switch (qualityOfError(err)) {
    case 'timeout':
      return new ColdtraceError(
        'sensor_no_answer',
        `no answer from ${at} within ${opts.timeoutMs} ms (${what}): check the address, the baud rate, A/B wiring and power`,
      );
    case 'modbus_exception': {
      const code = (err as { modbusCode: number }).modbusCode;
      return new ColdtraceError(
        'sensor_exception',
        `${at} answered exception ${code} (${what}): ${EXCEPTIONS[code] ?? 'unknown exception'}`,
      );
    }
    case 'crc_error':
      return new ColdtraceError(
        'sensor_crc_error',
        `garbled answer (CRC error) from ${at} (${what}): check termination and wiring, the baud rate, and that no other device shares the address`,
      );
    case 'disconnected':
      return new ColdtraceError(
        'sensor_port_missing',
        `${opts.path} went away (${what}): ${describeError(err)}`,
      );
    default:
      return new ColdtraceError('sensor_bad_answer', `${at} (${what}): ${describeError(err)}`);
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(4, '0');
}
