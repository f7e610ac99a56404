import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@coldtrace/shared/testing';
import ModbusRTU from 'modbus-serial';
import { afterAll, describe, expect, it } from 'vitest';
import { runSimCli } from '../../src/cli.js';
import { loadModbusSimFile } from '../../src/modbus/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'coldtrace-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('coldtrace sim modbus', () => {
  it('prints a device path that answers as the profile file says, and removes it on exit', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      'sensors:\n  - address: 5\n    profile: { kind: steady, tempC: -3.5, rh: 60 }\n  - address: 6\n    profile: { kind: no-answer }\n',
    );
    const lines: string[] = [];
    const ac = new AbortController();
    const run = runSimCli(['modbus', '--profile', file], { signal: ac.signal, out: (l) => lines.push(l) });
    const path = await until(() => lines[0], 'the device path line');
    const c = new ModbusRTU();
    await c.connectRTUBuffered(path, { baudRate: 9600 });
    c.setTimeout(200);
    c.setID(5);
    const r = await c.readInputRegisters(1, 2);
    expect(r.buffer.readInt16BE(0)).toBe(-35);
    expect(r.data[1]).toBe(600);
    c.setID(6);
    await expect(c.readInputRegisters(1, 2)).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
    await new Promise<void>((res) => c.close(() => res()));
    ac.abort();
    expect(await run).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it('explains what is wrong with a bad profile file', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ sensors: [{ address: 300, profile: { kind: 'steady' } }] }));
    expect(() => loadModbusSimFile(file)).toThrow(/sensors\.0\.address[\s\S]*sensors\.0\.profile\.tempC/);
    expect(() => loadModbusSimFile(join(dir, 'missing.yaml'))).toThrow(/cannot read profile file/);
  });
});
