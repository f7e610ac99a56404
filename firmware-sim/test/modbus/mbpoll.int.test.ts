import { spawn, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { type ModbusSimulator, startModbusSimulator } from '../../src/modbus/simulator.js';
import { socatMissing } from '../../src/modbus/socat-pair.js';

/**
 * The simulator against an independent Modbus master: Debian's mbpoll (libmodbus). What it reads is
 * what a real master would get from the simulated devices, not what the gateway's own decoder expects.
 */
const skip =
  socatMissing() ??
  (spawnSync('mbpoll', ['-V'], { stdio: 'ignore' }).error
    ? 'mbpoll is not installed (apt-get install -y mbpoll)'
    : null);
if (skip) console.warn(`[skip] simulator against mbpoll: ${skip}`);

let sim: ModbusSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** One poll (`-1`) of an RTU slave; mbpoll's references are 1-based (`-r 2` is register address 1). */
function mbpoll(path: string, args: string[], baud = 9600): Promise<{ out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('mbpoll', ['-m', 'rtu', '-b', String(baud), '-P', 'none', '-1', ...args, path]);
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    p.once('error', reject);
    p.once('close', () => resolve({ out, err }));
  });
}

describe.skipIf(skip !== null)('simulated sensors read by mbpoll', () => {
  it('XY-MD02 input registers (FC 0x04): temperature as int16 × 10, humidity × 10', async () => {
    sim = await startModbusSimulator({
      sensors: [{ address: 1, profile: { kind: 'steady', tempC: -12.3, rh: 40.1 } }],
    });
    const { out } = await mbpoll(sim.devicePath, ['-a', '1', '-t', '3', '-r', '2', '-c', '2']);
    expect(out).toContain('[2]: \t65413 (-123)');
    expect(out).toContain('[3]: \t401');
  });

  it('float32 holding registers (FC 0x03) in both word orders', async () => {
    const float = (wordOrder: 'big' | 'little') => ({
      functionCode: 3 as const,
      temperature: { register: 100, type: 'float32' as const, wordOrder },
    });
    sim = await startModbusSimulator({
      sensors: [
        { address: 9, map: float('little'), profile: { kind: 'steady', tempC: -21.25 } },
        { address: 10, map: float('big'), profile: { kind: 'steady', tempC: 3.5 } },
      ],
    });
    // mbpoll's float is word-swapped ("CDAB") unless -B (big-endian words, "ABCD").
    expect(
      (await mbpoll(sim.devicePath, ['-a', '9', '-t', '4:float', '-r', '101', '-c', '1'])).out,
    ).toContain('[101]: \t-21.25');
    expect(
      (await mbpoll(sim.devicePath, ['-a', '10', '-t', '4:float', '-B', '-r', '101', '-c', '1'])).out,
    ).toContain('[101]: \t3.5');
  });

  it('answers as a faulty device would: an exception, a bad CRC, silence', async () => {
    sim = await startModbusSimulator({
      sensors: [
        { address: 1, profile: { kind: 'steady', tempC: 4 } },
        { address: 5, profile: { kind: 'sensor-fault', fault: 'corrupt_crc' } },
        { address: 6, profile: { kind: 'sensor-fault', fault: 'exception', exceptionCode: 4 } },
      ],
    });
    const read = (address: string, ref = '2') =>
      mbpoll(sim!.devicePath, ['-a', address, '-t', '3', '-r', ref, '-c', '1', '-o', '0.3']).then(
        (r) => r.err,
      );
    // Modbus Application Protocol V1.1b3 §7: register 10 does not exist (02), a device failure (04).
    expect(await read('1', '11')).toContain('Illegal data address');
    expect(await read('6')).toContain('Slave device or server failure');
    expect(await read('5')).toContain('Invalid CRC');
    expect(await read('7')).toContain('Connection timed out');
  });

  it('takes the wire time of its baud rate: at 1200 baud an exchange needs ≈190 ms', async () => {
    sim = await startModbusSimulator({
      baudRate: 1200,
      sensors: [{ address: 1, profile: { kind: 'steady', tempC: 4 } }],
    });
    const args = ['-a', '1', '-t', '3', '-r', '2', '-c', '2'];
    // (8 + 9 bytes) × 11 bits / 1200 baud + 3.5 characters + turnaround: no answer can come within 100 ms.
    expect((await mbpoll(sim.devicePath, [...args, '-o', '0.1'], 1200)).err).toContain(
      'Connection timed out',
    );
    expect((await mbpoll(sim.devicePath, [...args, '-o', '2'], 1200)).out).toContain('[2]: \t40');
  });
});
