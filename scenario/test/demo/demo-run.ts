import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cloud, startCloud } from '@coldtrace/cloud';
import { scenarioClock } from '@coldtrace/shared';
import { DEMO_SCENARIO } from '../../src/demo/demo.js';
import { type LoadedScenario, loadScenario } from '../../src/load-scenario.js';
import { runScenario, type ScenarioRun } from '../../src/runner.js';

/** One play of the demo journey and a cloud serving its database afterwards. */
export interface DemoRun {
  loaded: LoadedScenario;
  run: ScenarioRun;
  /** A cloud on the run's database, its clock standing at the scenario's end. */
  cloud: Cloud;
  dataDir: string;
  startMs: number;
  endMs: number;
  /** Closes the cloud; removes the run data unless `keep` (then says where it is). */
  close(keep: boolean): Promise<void>;
}

/**
 * Plays the demo journey on the discrete-event clock (the real cloud, gateways, LLRP simulators over TCP,
 * Modbus buses on socat pseudo-terminals; docs/scenarios.md "The two clocks"), keeps its data directory,
 * and starts a cloud on its database with the clock standing at the scenario's end (so "now" and ongoing
 * custody end there, as in the demo's cloud when the journey is over).
 */
export async function playDemo(): Promise<DemoRun> {
  const loaded = loadScenario(DEMO_SCENARIO);
  const s = loaded.scenario;
  const startMs = Date.parse(s.start);
  const endMs = startMs + s.duration;
  const dataDir = mkdtempSync(join(tmpdir(), 'coldtrace-demo-journey-'));
  const run = await runScenario(loaded, { clock: 'virtual', dataDir, keep: true });
  console.log(
    `demo journey: ${(run.simulatedMs / 3_600_000).toFixed(1)} h simulated in ${(run.wallMs / 1000).toFixed(1)} s (${run.clock} clock)`,
  );
  const cloud = await startCloud(
    {
      database: `sqlite:${join(dataDir, 'cloud.db')}`,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
      logLevel: 'silent',
    },
    { clock: scenarioClock({ startMs: endMs, realAnchorMs: Number.POSITIVE_INFINITY, scale: 1, tickMs: 0 }) },
  );
  return {
    loaded,
    run,
    cloud,
    dataDir,
    startMs,
    endMs,
    async close(keep) {
      await cloud.close();
      // Kept when a check failed: cloud.db, cloud.log and scenario.log explain what happened.
      if (keep) console.error(`demo journey checks failed: run data kept in ${dataDir}`);
      else rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
