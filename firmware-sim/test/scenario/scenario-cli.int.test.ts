import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../../bin/coldtrace.mjs');
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
      { timeout: 120_000 },
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
});
