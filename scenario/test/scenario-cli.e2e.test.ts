import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../bin/coldtrace.mjs');
const popplerMissing = (() => {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'pdftotext is not installed (apt-get install -y poppler-utils)';
  }
})();
const dir = mkdtempSync(join(tmpdir(), 'coldtrace-scenario-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const socatMissing = (() => {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'socat is not installed (apt-get install -y socat)';
  }
})();
if (socatMissing) console.warn(`SKIPPED scenario CLI runs: ${socatMissing}`);

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'sim', 'scenario', ...args],
      { timeout: 150_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** A short scenario: a room whose compressor fails at 30 min (+0.2 °C/min, over +8 °C at 45 min). */
const SCENARIO = `name: CLI check
seed: 1
duration: 2h
clock: { scale: 1200, tick: 1m }
locations:
  - id: room-9
    limits: { minC: 2, maxC: 8, alarmDelay: 10m, criticalMarginC: 5, maxGap: 30m }
    temperature: { kind: steady, tempC: 5 }
gateways:
  - id: gw-9
    poll: 20s
    sensors: [{ id: s-9, location: room-9 }]
timeline:
  - at: 30m
    temperature: { location: room-9, profile: { kind: compressor-failure, baseC: 5, rateCPerMin: 0.2, ambientC: 20 } }
expect:
  - excursion: { location: room-9, start: 45m, end: ongoing }
  - deadLetters: { count: 0 }
  - excursionCount: { location: room-9, count: 2 }
`;

describe('coldtrace sim scenario', () => {
  it('rejects an invalid file with exit 2 and the line of the problem', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, SCENARIO.replace('poll: 20s', 'poll: often'));
    const r = await cli([file, '--check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:11: gateways.0.poll: not a duration: "often"`);
  });

  it.skipIf(socatMissing !== null)(
    'fails --check with a diff naming the line of a wrong expectation, and writes the validation report',
    { timeout: 120_000 },
    async () => {
      const file = join(dir, 'wrong.yaml');
      const report = join(dir, 'report.html');
      writeFileSync(file, SCENARIO);
      const r = await cli([file, '--check', '--report', report]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      // Line 19 expects two excursions where there is one; lines 17 and 18 hold.
      expect(r.stdout).toContain(
        `${file}:19: expectation 3 FAILED\n  - expected: 2 excursion(s) at room-9\n  + observed: 1`,
      );
      expect(r.stdout).not.toContain(`${file}:17:`);
      expect(r.stdout).toContain('1 of 3 expectation(s) failed');
      const html = readFileSync(report, 'utf8');
      expect(html).toContain('FAIL: 2 of 3 expectation(s) met');
      expect(html).toMatch(/coldtrace \d+\.\d+\.\d+/);
      expect(html).toContain('<td>19</td>');
    },
  );

  it('refuses a report path that is neither .html nor .pdf before running anything', async () => {
    const file = join(dir, 'any.yaml');
    writeFileSync(file, SCENARIO);
    const r = await cli([file, '--check', '--report', join(dir, 'report.txt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is written as HTML (.html) or PDF (.pdf)');
    expect(r.stdout).toBe('');
  });

  it.skipIf(socatMissing !== null)(
    'fails --check when an event could not be carried out, though every expectation holds, and writes a PDF report saying so',
    { timeout: 150_000 },
    async () => {
      // The gateway (a child process) loses power at 30 min for 3 h (1.5 s of real time after the start, so a
      // slow boot within the runner's lead still stores readings first); the lot is moved through its
      // portal at 40 min, when no gateway reads it: the move cannot be carried out.
      const file = join(dir, 'event.yaml');
      const report = join(dir, 'event.pdf');
      writeFileSync(
        file,
        `name: CLI event failure
seed: 1
duration: 1h
clock: { scale: 1200, tick: 1m }
locations:
  - id: room-9
    limits: { minC: 2, maxC: 8, alarmDelay: 10m, criticalMarginC: 5, maxGap: 30m }
    temperature: { kind: steady, tempC: 5 }
  - id: dock-9
    limits: { minC: 0, maxC: 30, alarmDelay: 10m, criticalMarginC: 5, maxGap: 30m }
    temperature: { kind: steady, tempC: 12 }
products:
  - { gtin: '00614141123452', name: Insulin, minC: 2, maxC: 8, stabilityBudget: 1h }
lots:
  - { id: LOT-9, gtin: '00614141123452', lotNumber: L9, expiry: 2027-01-31, companyPrefix: '0614141', itemRef: '012345', serials: { from: 1, count: 2 } }
gateways:
  - id: gw-9
    process: child
    poll: 20s
    portals: [{ id: door-9, inside: room-9, outside: dock-9 }]
    sensors: [{ id: s-9, location: room-9 }]
timeline:
  - at: 30m
    powerLoss: { gateway: gw-9, restartAfter: 3h }
  - at: 40m
    move: { units: LOT-9, portal: door-9, direction: in }
expect:
  - readings: { sensor: s-9, atLeast: 1 }
`,
      );
      const r = await cli([file, '--check', '--report', report]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(
        `${file}: RUN FAILED: event not carried out: move LOT-9 in through door-9 at +40m: no gateway was reading portal door-9`,
      );
      expect(r.stdout).toContain(`${file}: all 1 expectation(s) met`);
      expect(r.stdout).toContain('the run had 1 problem(s): its conclusions are not evidence');
      const pdf = readFileSync(report);
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      if (popplerMissing) console.warn(`PDF text not checked: ${popplerMissing}`);
      else {
        const text = execFileSync('pdftotext', ['-layout', report, '-'], { encoding: 'utf8' });
        expect(text).toContain('Validation report: CLI event failure');
        expect(text).toContain('FAIL: 1 of 1 expectation(s) met');
        expect(text).toContain('Run problems (each fails the check)');
        expect(text).toMatch(/no gateway was reading portal\s+door-9/);
        expect(text).toMatch(/coldtrace \d+\.\d+\.\d+/);
      }
    },
  );

  it.skipIf(socatMissing !== null)(
    'fails --check when a gateway does not drain within the drain timeout',
    { timeout: 150_000 },
    async () => {
      // The uplink is lost from 20 min to the end: the gateway holds 1 h 40 min of readings when the
      // timeline ends, and --drain-timeout 0 gives it no time to send them.
      const file = join(dir, 'drain.yaml');
      writeFileSync(
        file,
        SCENARIO.replace(
          'timeline:\n',
          'timeline:\n  - at: 20m\n    uplinkLoss: { gateway: gw-9, duration: 1h40m }\n',
        ).replace(/expect:[\s\S]*$/, 'expect:\n  - readings: { sensor: s-9, atLeast: 1 }\n'),
      );
      const r = await cli([file, '--check', '--drain-timeout', '0']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /RUN FAILED: gateway gw-9 did not drain within 0 s: \d+ record\(s\) still buffered/,
      );
    },
  );
});
