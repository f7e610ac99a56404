import { join } from 'node:path';
import { type ModbusSimulator, socatMissing, startModbusSimulator } from '@coldtrace/firmware-sim';
import { ColdtraceError } from '@coldtrace/shared';
import { CliUsageError } from '@coldtrace/shared/cli';
import { afterEach, describe, expect, it } from 'vitest';
import { runSensorCli } from '../../src/cli.js';

// `coldtrace sensor …` against simulated XY-MD02 sensors over a real pseudo-terminal.

const skip = socatMissing();
if (skip) console.warn(`[skip] coldtrace sensor: ${skip}`);

let sim: ModbusSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function bus() {
  sim = await startModbusSimulator({
    sensors: [
      { address: 3, profile: { kind: 'steady', tempC: 4.2, rh: 55 }, tempOffsetC: -0.5 },
      { address: 7, profile: { kind: 'steady', tempC: -18, rh: 30 } },
      { address: 8, profile: { kind: 'sensor-fault', fault: 'exception', exceptionCode: 4 } },
      { address: 9, profile: { kind: 'sensor-fault', fault: 'corrupt_crc' } },
    ],
  });
  return sim;
}

async function sensor(...argv: string[]) {
  const lines: string[] = [];
  const code = await runSensorCli([...argv, '--timeout-ms', '250'], (l) => lines.push(l));
  return { code, lines };
}

/** The ColdtraceError a command fails with. */
async function failure(...argv: string[]): Promise<ColdtraceError> {
  const err = await sensor(...argv).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ColdtraceError);
  return err as ColdtraceError;
}

describe.skipIf(skip)('coldtrace sensor', () => {
  it('scan lists the addresses that answer at the given speed, and exits 1 when none does', async () => {
    const s = await bus();
    const r = await sensor('scan', '--device', s.devicePath, '--from', '1', '--to', '10');
    expect(r.code).toBe(0);
    // a device answering an exception or garbled is there all the same
    expect(r.lines).toEqual([
      'address 3: answers',
      'address 7: answers',
      'address 8: answers',
      'address 9: answers',
      `4 sensor(s) answered at 9600 baud on ${s.devicePath}`,
    ]);
    // the master at 19200 baud, the sensors at 9600: they hear only garbage
    s.setLineBaud(19200);
    const none = await sensor('scan', '--device', s.devicePath, '--baud', '19200', '--to', '10');
    expect(none.code).toBe(1);
    expect(none.lines).toEqual([
      `no sensor answered at 19200 baud on ${s.devicePath} (addresses 1..10); try another --baud`,
    ]);
  });

  it('info shows the stored setup, the corrections and the corrected reading', async () => {
    const s = await bus();
    const r = await sensor('info', '--device', s.devicePath, '--address', '3');
    expect(r.lines).toEqual([
      `sensor at address 3 on ${s.devicePath} (XY-MD02 setup registers)`,
      '  stored address          3',
      '  stored baud rate        9600',
      '  temperature correction  -0.5 °C',
      '  humidity correction     +0.0 %RH',
      '  reading                 3.7 °C, 55.0 %RH',
    ]);
  });

  it('set-address stores the new address, which the sensor takes up after a power cycle', async () => {
    const s = await bus();
    const r = await sensor('set-address', '--device', s.devicePath, '--address', '3', '--new-address', '12');
    expect(r.lines[0]).toBe(
      'address 3: new address 12 stored; power the sensor off and on to use it (it keeps answering as before until then)',
    );
    expect(s.setup(3)).toMatchObject({ active: { address: 3 }, stored: { address: 12 } });
    const before = await sensor('info', '--device', s.devicePath, '--address', '3');
    expect(before.lines).toContain('  stored address          12');
    expect(before.lines.at(-1)).toMatch(
      /the stored setup differs from the one in use: power the sensor off and on/,
    );
    s.powerCycle();
    const after = await sensor('scan', '--device', s.devicePath, '--from', '1', '--to', '12');
    expect(after.lines).toContain('address 12: answers');
    expect(after.lines).not.toContain('address 3: answers');
  });

  it('set-address refuses an address another device answers at, and stores nothing', async () => {
    const s = await bus();
    const err = await failure(
      'set-address',
      '--device',
      s.devicePath,
      '--address',
      '3',
      '--new-address',
      '7',
    );
    expect(err.code).toBe('sensor_address_taken');
    expect(err.message).toContain('a device already answers at address 7');
    expect(s.setup(3).stored.address).toBe(3);
  });

  it('set-baud stores the new speed: after a power cycle the sensor answers only at it', async () => {
    const s = await bus();
    const r = await sensor('set-baud', '--device', s.devicePath, '--address', '7', '--new-baud', '19200');
    expect(r.lines[0]).toBe(
      'address 7: new baud rate 19200 stored; power the sensor off and on to use it (it keeps answering as before until then)',
    );
    s.powerCycle(7);
    expect((await failure('info', '--device', s.devicePath, '--address', '7')).code).toBe('sensor_no_answer');
    s.setLineBaud(19200);
    const at = await sensor('info', '--device', s.devicePath, '--address', '7', '--baud', '19200');
    expect(at.lines).toContain('  stored baud rate        19200');
    expect(at.lines).toContain('  reading                 -18.0 °C, 30.0 %RH');
  });

  it('explains a silent address, an exception, a garbled answer and a missing device', async () => {
    const s = await bus();
    const silent = await failure('info', '--device', s.devicePath, '--address', '20');
    expect(silent.code).toBe('sensor_no_answer');
    expect(silent.message).toBe(
      `no answer from address 20 on ${s.devicePath} at 9600 baud within 250 ms (reading holding registers 0x0101): check the address, the baud rate, A/B wiring and power`,
    );
    const exc = await failure('info', '--device', s.devicePath, '--address', '8');
    expect(exc.code).toBe('sensor_exception');
    expect(exc.message).toContain(
      'answered exception 4 (reading holding registers 0x0101): slave device failure',
    );
    const crc = await failure('set-baud', '--device', s.devicePath, '--address', '9', '--new-baud', '9600');
    expect(crc.code).toBe('sensor_crc_error');
    expect(crc.message).toContain('garbled answer (CRC error) from address 9');
    const gone = await failure('scan', '--device', join(s.devicePath, '..', 'ttyUSB9'));
    expect(gone.code).toBe('sensor_port_missing');
    expect(gone.message).toMatch(/ttyUSB9 does not exist: is the RS-485 adapter plugged in/);
  });

  it('refuses a speed the XY-MD02 does not have and an address out of range before opening the bus', async () => {
    await expect(
      runSensorCli(['set-baud', '--device', '/nonexistent', '--address', '1', '--new-baud', '4800']),
    ).rejects.toThrow(CliUsageError);
    await expect(
      runSensorCli(['info', '--device', '/nonexistent', '--address', '248']),
    ).rejects.toMatchObject({ problem: '--address must be 1..247, got 248' });
  });
});
