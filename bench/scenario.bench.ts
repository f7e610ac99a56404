/**
 * Scenario runner speed (goal: a simulated day in under two minutes):
 * runs the day-long library scenario `cumulative-who-pqs.yaml` through the real cloud (its own process),
 * gateway, LLRP and Modbus simulators, exactly as `coldtrace sim scenario F --check` does, and prints the
 * real time it took (set-up, the day, draining and reading the conclusions) and the time-scale achieved
 * (simulated time / real time) against the clock's nominal scale. Also says whether --check would pass,
 * so a fast but wrong run is not taken for a good figure.
 *
 *   npm run bench -- scenario [file.yaml] [--scale N]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkExpectations, loadScenario, runScenario } from '@coldtrace/scenario';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: { scale: { type: 'string' } },
  allowPositionals: true,
});
const file = positionals[0] ?? join(import.meta.dirname, '../scenario/scenarios/cumulative-who-pqs.yaml');
const print = (o: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'scenario', ...o }));

const loaded = loadScenario(file);
const scale = values.scale === undefined ? loaded.scenario.clock.scale : Number(values.scale);
const run = await runScenario(loaded, { scale });
const check = checkExpectations(loaded, run.observed, run.problems);
const name = loaded.scenario.name;
print({
  metric: 'simulated_time',
  value: +(run.simulatedMs / 3_600_000).toFixed(2),
  unit: 'h',
  scenario: name,
});
print({
  metric: 'wall_time',
  value: +(run.wallMs / 1000).toFixed(1),
  unit: 's',
  scenario: name,
  goal: '< 120 s for a simulated day',
  withinGoal: run.simulatedMs >= 24 * 3_600_000 ? run.wallMs < 120_000 : null,
});
print({
  metric: 'time_scale_achieved',
  value: Math.round(run.simulatedMs / run.wallMs),
  unit: 'x',
  reference: 'nominal clock scale (the set-up and settling make the achieved scale lower)',
  nominal: scale,
  ratio: +(run.simulatedMs / run.wallMs / scale).toFixed(3),
});
print({
  metric: 'check',
  value: check.pass ? 1 : 0,
  unit: 'pass',
  failed: check.results.filter((r) => !r.pass).map((r) => `line ${r.line}: ${r.expected} / ${r.observed}`),
  problems: run.problems,
  skippedTicks: run.skippedTicks.length,
});
process.exit(check.pass ? 0 : 1);
