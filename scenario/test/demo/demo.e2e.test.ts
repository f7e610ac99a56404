import { execFile } from 'node:child_process';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { socatMissing as socatMissingReason } from '@coldtrace/firmware-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SCENARIO } from '../../src/demo/demo.js';
import { loadScenario } from '../../src/load-scenario.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../../bin/coldtrace.mjs');

const socatMissing = socatMissingReason();
if (socatMissing) console.warn(`SKIPPED demo run: ${socatMissing}`);

/** Holds a port (if free) so the demo must pick another one. */
function hold(port: number): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(null)); // already taken by something else: fine too
    srv.listen(port, '0.0.0.0', () => resolve(srv));
  });
}

const held: Array<net.Server | null> = [];
beforeAll(async () => {
  held.push(await hold(8080), await hold(1883));
});
afterAll(() => {
  for (const s of held) s?.close();
});

describe.skipIf(socatMissing !== null)('npm run demo -- --duration S --json', () => {
  it('plays the demo journey through the scenario runner with ports 8080 and 1883 taken', {
    timeout: 120_000,
  }, async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          [BIN, 'demo', '--duration', '60', '--json'],
          { timeout: 110_000 },
          (err, out, errOut) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errOut }),
        );
      },
    );
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]!) as Record<string, unknown> & {
      excursionDetails: Array<{ locationId: string; critical: boolean }>;
      lots: Array<{ id: string; units: number | null; locked: number | null }>;
    };
    // What a user runs (README): the whole journey fits in 60 s of real time and is played to its end.
    expect(summary.journey).toMatchObject({ completed: true });
    expect(summary.readings).toBeGreaterThan(0);
    expect(summary.movements).toBeGreaterThan(0);
    expect(summary.excursions).toBeGreaterThanOrEqual(1);
    expect(summary.deadLetters).toBe(0);
    expect(summary.excursionDetails[0]).toMatchObject({ locationId: 'truck-7', critical: true });
    // Every case of every lot of the journey (a mixed pallet of two lots) was in the truck: all locked.
    const lots = loadScenario(DEMO_SCENARIO).scenario.lots;
    expect(lots.map((l) => l.id)).toEqual(['LOT-A', 'LOT-B']);
    expect(summary.lots).toEqual(
      lots.map((l) => ({ id: l.id, units: l.serials.count, locked: l.serials.count })),
    );
    expect(summary.lockedUnits).toBe(lots.reduce((n, l) => n + l.serials.count, 0));
    expect(summary.url).not.toMatch(/:8080$/);
    expect(summary.mqttUrl).not.toMatch(/:1883$/);
  });
});
