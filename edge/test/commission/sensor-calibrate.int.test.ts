import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ModbusSimulator, socatMissing, startModbusSimulator } from '@coldtrace/firmware-sim';
import { ColdtraceError } from '@coldtrace/shared';
import { CliUsageError } from '@coldtrace/shared/cli';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runSensorCli } from '../../src/cli.js';

// `coldtrace sensor calibrate` against simulated XY-MD02 sensors over a real pseudo-terminal: the
// corrections written (FC 0x06), read back, applied to the readings, and each write in the log.

const skip = socatMissing();
if (skip) console.warn(`[skip] coldtrace sensor calibrate: ${skip}`);

const dir = mkdtempSync(join(tmpdir(), 'coldtrace-calibrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshLog = () => join(dir, `log-${++n}`, 'commissioning.jsonl');
const logLines = (path: string) =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

let sim: ModbusSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function bus() {
  sim = await startModbusSimulator({
    sensors: [
      { address: 3, profile: { kind: 'steady', tempC: 4.2, rh: 55 }, tempOffsetC: -0.5 },
      { address: 5, profile: { kind: 'steady', tempC: 5, rh: 40 }, setupWrites: 'ignored' },
      { address: 6, profile: { kind: 'steady', tempC: 5, rh: 40 }, setupWrites: 'refused' },
    ],
  });
  return sim;
}

async function calibrate(log: string, ...argv: string[]) {
  const lines: string[] = [];
  const code = await runSensorCli(['calibrate', ...argv, '--log', log, '--timeout-ms', '250'], (l) =>
    lines.push(l),
  );
  return { code, lines };
}

async function failure(log: string, ...argv: string[]): Promise<ColdtraceError> {
  const err = await calibrate(log, ...argv).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ColdtraceError);
  return err as ColdtraceError;
}

describe.skipIf(skip)('coldtrace sensor calibrate', () => {
  it('without --yes shows the change and writes nothing, logs nothing, exits 1', async () => {
    const s = await bus();
    const log = freshLog();
    const r = await calibrate(log, '--device', s.devicePath, '--address', '3', '--temp-offset', '0.3');
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      `sensor at address 3 on ${s.devicePath}, reading 3.7 °C, 55.0 %RH`,
      '  temperature correction: -0.5 -> +0.3 °C (register 0x0103)',
      'nothing written: run again with --yes to store these corrections',
    ]);
    expect(s.setup(3).stored.tempOffsetC).toBe(-0.5);
    expect(existsSync(log)).toBe(false);
  });

  it('with --yes stores both corrections, reads them back, the readings carry them, and logs who and what', async () => {
    const s = await bus();
    const log = freshLog();
    const r = await calibrate(
      log,
      '--device',
      s.devicePath,
      '--address',
      '3',
      '--temp-offset',
      '0.3',
      '--rh-offset=-2.5',
      '--yes',
    );
    expect(r.code).toBe(0);
    expect(r.lines.slice(0, 3)).toEqual([
      `sensor at address 3 on ${s.devicePath}, reading 3.7 °C, 55.0 %RH`,
      '  temperature correction: -0.5 -> +0.3 °C (register 0x0103)',
      '  humidity correction: +0.0 -> -2.5 %RH (register 0x0104)',
    ]);
    expect(r.lines[3]).toBe(
      'address 3: stored and read back: temperature correction +0.3 °C, humidity correction -2.5 %RH; reading now 4.5 °C, 52.5 %RH',
    );
    expect(r.lines[4]).toBe(`logged in ${log}`);
    expect(s.setup(3).stored).toMatchObject({ tempOffsetC: 0.3, rhOffset: -2.5 });
    // the device's own view, through the command that reads the setup
    const info: string[] = [];
    await runSensorCli(['info', '--device', s.devicePath, '--address', '3'], (l) => info.push(l));
    expect(info).toContain('  temperature correction  +0.3 °C');
    expect(info).toContain('  humidity correction     -2.5 %RH');
    const [entry, ...more] = logLines(log);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      command: 'sensor calibrate',
      device: s.devicePath,
      address: 3,
      before: { tempOffsetC: -0.5, rhOffset: 0 },
      requested: { tempOffsetC: 0.3, rhOffset: -2.5 },
      after: { tempOffsetC: 0.3, rhOffset: -2.5 },
      outcome: 'verified',
      readingBefore: '3.7 °C, 55.0 %RH',
      readingAfter: '4.5 °C, 52.5 %RH',
    });
    expect(typeof entry!.by).toBe('string');
    expect((entry!.by as string).length).toBeGreaterThan(0);
    expect(Math.abs(Date.parse(entry!.at as string) - Date.now())).toBeLessThan(60_000);
  });

  it('fails with sensor_verify_failed when the device acknowledges but keeps its setup, and logs it', async () => {
    const s = await bus();
    const log = freshLog();
    const err = await failure(log, '--device', s.devicePath, '--address', '5', '--temp-offset', '1', '--yes');
    expect(err.code).toBe('sensor_verify_failed');
    expect(err.message).toBe(
      `address 5 acknowledged the write but reads back temperature correction +0.0 °C (written +1.0): it does not store corrections at these registers (is it an XY-MD02?); logged in ${log}`,
    );
    expect(logLines(log)).toEqual([
      expect.objectContaining({
        address: 5,
        outcome: 'verify_failed',
        after: { tempOffsetC: 0, rhOffset: 0 },
      }),
    ]);
  });

  it('logs a write the device refuses, with its error, and stores nothing', async () => {
    const s = await bus();
    const log = freshLog();
    const err = await failure(log, '--device', s.devicePath, '--address', '6', '--rh-offset', '1.5', '--yes');
    expect(err.code).toBe('sensor_exception');
    expect(err.message).toContain('answered exception 1 (writing register 0x0104): illegal function');
    expect(s.setup(6).stored.rhOffset).toBe(0);
    expect(logLines(log)).toEqual([
      expect.objectContaining({
        address: 6,
        outcome: 'write_failed',
        requested: { rhOffset: 1.5 },
        error: { code: 'sensor_exception', message: err.message },
      }),
    ]);
  });

  it('refuses an impossible value with sensor_calibration_invalid before opening the bus or the log', async () => {
    const log = freshLog();
    for (const [flag, value] of [
      ['--temp-offset', '10.5'],
      ['--rh-offset=-11', undefined],
      ['--temp-offset', '0.25'],
    ] as const) {
      const err = await failure(
        log,
        '--device',
        '/nonexistent/ttyUSB0',
        '--address',
        '1',
        ...(value === undefined ? [flag] : [flag, value]),
        '--yes',
      );
      expect(err.code, `${flag} ${value}`).toBe('sensor_calibration_invalid');
    }
    const err = await failure(
      log,
      '--device',
      '/nonexistent/ttyUSB0',
      '--address',
      '1',
      '--temp-offset',
      '12',
      '--yes',
    );
    expect(err.message).toBe(
      '--temp-offset must be -10.0..10.0 °C in steps of 0.1 (what the XY-MD02 stores), got 12',
    );
    expect(existsSync(log)).toBe(false);
    // the same device path with a valid value reaches the bus: the refusals above were the values'
    const valid = await failure(
      log,
      '--device',
      '/nonexistent/ttyUSB0',
      '--address',
      '1',
      '--temp-offset',
      '1.5',
      '--yes',
    );
    expect(valid.code).toBe('sensor_port_missing');
  });

  it('refuses to write when the log cannot be appended to, sending nothing to the sensor', async () => {
    const s = await bus();
    // a log path under a regular file: no directory can be made there, whoever runs the test
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, '');
    const log = join(file, 'commissioning.jsonl');
    const err = await failure(log, '--device', s.devicePath, '--address', '3', '--temp-offset', '1', '--yes');
    expect(err.code).toBe('sensor_log_unwritable');
    expect(err.message).toMatch(
      /^cannot append to the commissioning log .*not-a-directory\/commissioning\.jsonl: /,
    );
    expect(err.message).toContain('nothing was sent to the sensor');
    expect(s.stats.requests).toBe(0);
    expect(s.setup(3).stored.tempOffsetC).toBe(-0.5);
  });

  it('a command line without a correction, or with a value that is no number, is a usage error', async () => {
    await expect(
      runSensorCli(['calibrate', '--device', '/nonexistent', '--address', '1', '--yes']),
    ).rejects.toMatchObject({ problem: 'give --temp-offset, --rh-offset or both' });
    await expect(
      runSensorCli(['calibrate', '--device', '/nonexistent', '--address', '1', '--temp-offset', '0x10']),
    ).rejects.toThrow(CliUsageError);
    await expect(
      runSensorCli(['calibrate', '--device', '/nonexistent', '--address', '1', '--rh-offset', '1e1']),
    ).rejects.toMatchObject({ problem: '--rh-offset must be a number like 0.5 or -1.2, got 1e1' });
  });
});
