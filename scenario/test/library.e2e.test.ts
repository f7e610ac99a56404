import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { socatMissing as socatMissingReason } from '@coldtrace/firmware-sim';
import { afterAll, describe, expect, it } from 'vitest';
import { checkExpectations, formatDiff } from '../src/expectations.js';
import { type LoadedScenario, loadScenario } from '../src/load-scenario.js';
import { runScenario, type ScenarioRun } from '../src/runner.js';
import { childGatewayIds } from '../src/scenario-world.js';

/**
 * Every scenario of the library, through the real cloud (embedded aedes + SQLite), real gateways, the
 * LLRP simulators over TCP and Modbus buses on socat pseudo-terminals. On the discrete-event clock
 * (docs/scenarios.md "The two clocks"), except a scenario with a gateway in its own process (a power
 * loss), which needs the scaled real-time clock. Files run one after another (one `describe`).
 */
const DIR = join(dirname(fileURLToPath(import.meta.url)), '../scenarios');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

const socatMissing = socatMissingReason();
if (socatMissing) console.warn(`SKIPPED scenario library: ${socatMissing}`);

const runs = new Map<string, { loaded: LoadedScenario; run: ScenarioRun }>();
const wall: string[] = [];
afterAll(() => {
  if (wall.length) console.log(`scenario wall times:\n  ${wall.join('\n  ')}`);
});
const say = (file: string, run: ScenarioRun) =>
  `${file}: ${(run.simulatedMs / 3_600_000).toFixed(1)} h simulated in ${(run.wallMs / 1000).toFixed(1)} s (${
    run.clock === 'virtual' ? `discrete-event clock, ${run.steps} instants` : `scaled clock ×${run.scale}`
  })`;

describe.skipIf(socatMissing !== null)('scenario library: every scenario passes --check', () => {
  it('has the scenarios docs/scenarios.md lists', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'demo-journey.yaml',
        'uplink-outage-late-excursion.yaml',
        'ongoing-excursion-move-in.yaml',
        'door-open-short.yaml',
        'sensor-fault-gap.yaml',
        'cumulative-who-pqs.yaml',
        'gateway-power-loss.yaml',
        'untagged-vials-scanned-into-fridge.yaml',
      ]),
    );
  });

  for (const file of files) {
    it(file, { timeout: 180_000 }, async () => {
      const loaded = loadScenario(join(DIR, file));
      const children = childGatewayIds(loaded.scenario);
      const clock = children.length > 0 ? 'scaled' : 'virtual';
      const run = await runScenario(loaded, { clock });
      runs.set(file, { loaded, run });
      wall.push(say(file, run));
      expect(run.clock, run.clockNote).toBe(clock);
      if (clock === 'virtual')
        expect(run.skippedTicks, 'no ticks to skip on the discrete-event clock').toEqual([]);
      const check = checkExpectations(loaded, run.observed, run.problems);
      expect(run.problems, 'events carried out and gateways drained').toEqual([]);
      expect(check.pass, formatDiff(file, check)).toBe(true);
      expect(run.simulatedMs).toBe(loaded.scenario.duration);
    });
  }

  it('plays the power-loss scenario on the scaled clock: its gateway runs as a child process', () => {
    const pl = runs.get('gateway-power-loss.yaml');
    expect(pl, 'the power-loss scenario ran').toBeDefined();
    expect(childGatewayIds(pl!.loaded.scenario)).toEqual(['wh5-gw']);
    expect(pl!.run.clock).toBe('scaled');
  });

  it('covers a whole simulated day in one scenario (the wall time is printed, not asserted)', () => {
    const day = runs.get('cumulative-who-pqs.yaml');
    expect(day, 'the day-long scenario ran').toBeDefined();
    expect(day!.run.simulatedMs).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(day!.run.clock).toBe('virtual');
    console.log(`a simulated day took ${(day!.run.wallMs / 1000).toFixed(1)} s of real time`);
  });

  it('gives exactly the same conclusions when run again on the discrete-event clock (determinism)', {
    timeout: 180_000,
  }, async () => {
    // The late-excursion scenario: an excursion with a start and an end, found from buffered data after
    // an uplink outage, with custody from RFID passes and the locks that follow.
    const first = runs.get('uplink-outage-late-excursion.yaml');
    expect(first, 'the first run happened').toBeDefined();
    const again = await runScenario(first!.loaded, { clock: 'virtual' });
    wall.push(say('uplink-outage-late-excursion.yaml (again)', again));
    const a = first!.run.observed;
    const b = again.observed;
    // What the determinism is about: excursions (start, end, peak, criticality), locks and custody.
    expect(a.excursions.length).toBeGreaterThan(0);
    expect(a.excursions.every((e) => e.endMs !== null)).toBe(true);
    expect(a.locks?.length).toBeGreaterThan(0);
    expect(a.locks?.every((l) => a.excursions.some((e) => e.id === l.excursionId))).toBe(true);
    expect(a.custody?.length).toBeGreaterThan(0);
    expect(b.excursions).toEqual(a.excursions);
    expect(b.locks).toEqual(a.locks);
    expect(b.custody).toEqual(a.custody);
    // And everything else the cloud concluded or received, down to the counts; the clock moved to the
    // same instants.
    expect(b).toEqual(a);
    expect(again.steps).toBe(first!.run.steps);
  });
});
