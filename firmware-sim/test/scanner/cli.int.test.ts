import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@coldtrace/shared/testing';
import { SerialPort } from 'serialport';
import { afterAll, describe, expect, it } from 'vitest';
import { runSimCli } from '../../src/cli.js';
import { socatMissing } from '../../src/modbus/socat-pair.js';
import { loadScannerSimFile } from '../../src/scanner/cli.js';

const skip = socatMissing();
if (skip) console.warn(`[skip] coldtrace sim scanner: ${skip}`);

const dir = mkdtempSync(join(tmpdir(), 'coldtrace-scanner-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skip !== null)('coldtrace sim scanner', () => {
  it('prints the device, then sends every code it prints, even to a reader that opens the device late', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      [
        'startAfterMs: 0',
        'intervalMs: 0',
        'suffix: "\\r\\n"',
        'faults: { misread: 0.3, partial: 0.3 }',
        'lots:',
        '  - { gtin: "09521234543213", lot: L1, expiry: "2027-06-30", serialFrom: 1, units: 6 }',
        '  - { hibc: { lic: A999, pcn: "1234", uom: "5" }, lot: X, expiry: "2028-01-15", units: 2, format: hibc }',
      ].join('\n'),
    );
    const lines: string[] = [];
    const ac = new AbortController();
    const run = runSimCli(['scanner', '--profile', file, '--seed', '9'], {
      signal: ac.signal,
      out: (l) => lines.push(l),
    });
    const ready = JSON.parse(await until(() => lines[0], 'the ready line'));
    expect(ready).toMatchObject({ msg: 'scanner simulator ready' });
    const done = await until(
      () => lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'scanner simulator done'),
      'all scans sent',
    );
    // Every code went out before the reader opened the device: none of it may be lost.
    const port = new SerialPort({ path: ready.device, baudRate: 9600 });
    let received = '';
    port.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    const sent = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'scan');
    expect(done.sent).toBe(ready.scans);
    expect(sent).toHaveLength(ready.scans);
    expect(sent.filter((s) => s.fault === 'none')).toHaveLength(8);
    expect(sent.some((s) => s.fault !== 'none')).toBe(true);
    const expected = sent.map((s) => `${s.code}\r\n`).join('');
    await until(() => received.length >= expected.length, 'every code received');
    expect(received).toBe(expected);
    await new Promise<void>((r) => port.close(() => r()));
    ac.abort();
    expect(await run).toBe(0);
    expect(existsSync(ready.device)).toBe(false);
  });

  it('explains what is wrong with a bad profile file', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({ lots: [{ gtin: '123', lot: 'L', expiry: '2027-01-01', units: 0 }] }),
    );
    expect(() => loadScannerSimFile(file)).toThrow(/lots\.0\.gtin[\s\S]*lots\.0\.units/);
    writeFileSync(
      file,
      JSON.stringify({ lots: [{ lot: 'L', expiry: '2027-01-01', units: 1, format: 'hibc' }] }),
    );
    expect(() => loadScannerSimFile(file)).toThrow(/the hibc format needs hibc/);
    expect(() => loadScannerSimFile(join(dir, 'missing.yaml'))).toThrow(/cannot read profile file/);
  });
});
