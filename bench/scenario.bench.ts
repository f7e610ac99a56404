/**
 * Scenario runner speed (goal: a simulated day in under two minutes on the scaled clock):
 * runs the day-long library scenario `cumulative-who-pqs.yaml` through the real cloud, gateway, LLRP and
 * Modbus simulators, exactly as `coldtrace sim scenario F --check` does, first on the scaled real-time
 * clock (the cloud in its own process), then on the discrete-event clock (everything in this process;
 * docs/scenarios.md "The two clocks"), and prints for each the real time it took (set-up, the day,
 * draining and reading the conclusions), the time-scale achieved (simulated time / real time) and the
 * machine's load average while it ran (other processes slow both clocks' runs down; only the scaled
 * clock's results can change with it). Also says whether --check passed, so a fast but wrong run is not
 * taken for a good figure.
 *
 *   npm run bench -- scenario [file.yaml] [--scale N] [--clock scaled|virtual|both]
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type ClockMode, checkExpectations, loadScenario, runScenario } from '@coldtrace/scenario';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: { scale: { type: 'string' }, clock: { type: 'string', default: 'both' } },
  allowPositionals: true,
});
const file = positionals[0] ?? join(import.meta.dirname, '../scenario/scenarios/cumulative-who-pqs.yaml');
const print = (o: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'scenario', ...o }));
if (!['scaled', 'virtual', 'both'].includes(values.clock)) {
  console.error(`--clock must be scaled, virtual or both, got ${values.clock}`);
  process.exit(2);
}
const clocks: ClockMode[] = values.clock === 'both' ? ['scaled', 'virtual'] : [values.clock as ClockMode];

const loaded = loadScenario(file);
const scale = values.scale === undefined ? loaded.scenario.clock.scale : Number(values.scale);
const name = loaded.scenario.name;
let allPass = true;
for (const clock of clocks) {
  const loadBefore = loadavg()[0]!;
  const run = await runScenario(loaded, { scale, clock });
  const load = {
    before: +loadBefore.toFixed(2),
    after: +loadavg()[0]!.toFixed(2),
    cores: availableParallelism(),
  };
  const check = checkExpectations(loaded, run.observed, run.problems);
  allPass &&= check.pass;
  const day = run.simulatedMs >= 24 * 3_600_000;
  print({
    metric: 'simulated_time',
    clock: run.clock,
    value: +(run.simulatedMs / 3_600_000).toFixed(2),
    unit: 'h',
    scenario: name,
  });
  print({
    metric: 'wall_time',
    clock: run.clock,
    value: +(run.wallMs / 1000).toFixed(1),
    unit: 's',
    scenario: name,
    load1: load,
    ...(run.clock === 'scaled'
      ? { goal: '< 120 s for a simulated day', withinGoal: day ? run.wallMs < 120_000 : null }
      : { instants: run.steps }),
  });
  print({
    metric: 'time_scale_achieved',
    clock: run.clock,
    value: Math.round(run.simulatedMs / run.wallMs),
    unit: 'x',
    ...(run.clock === 'scaled'
      ? {
          reference: 'nominal clock scale (the set-up and settling make the achieved scale lower)',
          nominal: scale,
          ratio: +(run.simulatedMs / run.wallMs / scale).toFixed(3),
        }
      : { reference: 'none: the discrete-event clock runs as fast as the computation' }),
  });
  print({
    metric: 'check',
    clock: run.clock,
    value: check.pass ? 1 : 0,
    unit: 'pass',
    failed: check.results.filter((r) => !r.pass).map((r) => `line ${r.line}: ${r.expected} / ${r.observed}`),
    problems: run.problems,
    skippedTicks: run.skippedTicks.length,
  });
}
process.exit(allPass ? 0 : 1);
