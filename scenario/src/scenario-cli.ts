import { writeFileSync } from 'node:fs';
import { ColdtraceError, errorMessage } from '@coldtrace/shared';
import { checkExpectations, formatDiff } from './expectations.js';
import { loadScenario } from './load-scenario.js';
import { validationReportHtml } from './report-html.js';
import { validationReportPdf } from './report-pdf.js';
import { runScenario } from './runner.js';

/** `coldtrace sim scenario`'s command line, parsed and judged in `./cli.ts`. */
export interface ScenarioCliOptions {
  file: string;
  check: boolean;
  /** Where to write the validation report, and whether as PDF (else HTML). */
  report: { path: string; pdf: boolean } | undefined;
  json: boolean;
  quiet: boolean;
  clock: 'scaled' | 'virtual';
  scale: number | undefined;
  drainTimeoutMs: number | undefined;
  keep: boolean;
  dataDir: string | undefined;
}

/**
 * `coldtrace sim scenario F [--check] [--report out.html|out.pdf]`: runs a scenario through the real
 * cloud, gateways and simulators. Exit 0 = ran (and, with --check, every expectation met and the run had
 * no problem); 1 = an expectation failed (the diff names its line), or an event could not be carried out,
 * or a gateway did not drain in time; 2 = an invalid scenario file, or the run could not happen (bad
 * arguments never get here: they are usage errors of `./cli.ts`).
 */
export async function runScenarioCli(o: ScenarioCliOptions): Promise<number> {
  const { file } = o;
  try {
    const loaded = loadScenario(file);
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    const quiet = o.json || o.quiet;
    const run = await runScenario(loaded, {
      clock: o.clock,
      scale: o.scale,
      keep: o.keep,
      dataDir: o.dataDir,
      drainTimeoutMs: o.drainTimeoutMs,
      signal: abort.signal,
      say: quiet ? undefined : (line) => process.stdout.write(`${line}\n`),
    }).finally(() => process.off('SIGINT', onSignal));
    const check = checkExpectations(loaded, run.observed, run.problems);
    if (o.report) {
      writeFileSync(
        o.report.path,
        o.report.pdf
          ? await validationReportPdf(loaded, run, check)
          : validationReportHtml(loaded, run, check),
      );
      if (!quiet) process.stdout.write(`validation report written to ${o.report.path}\n`);
    }
    if (o.json) {
      process.stdout.write(
        `${JSON.stringify({ name: run.name, pass: check.pass, wallMs: run.wallMs, simulatedMs: run.simulatedMs, problems: run.problems, skippedTicks: run.skippedTicks, results: check.results, observed: run.observed })}\n`,
      );
    } else {
      process.stdout.write(
        `simulated ${(run.simulatedMs / 3_600_000).toFixed(1)} h in ${(run.wallMs / 1000).toFixed(1)} s real; ${run.observed.counts.readings} readings, ${run.observed.counts.movements} movements, ${run.observed.excursions.length} excursion(s)\n`,
      );
      if (run.skippedTicks.length)
        process.stdout.write(
          `note: ${run.skippedTicks.length} clock tick(s) in which a sensor was not polled at all (the machine was too busy; see docs/scenarios.md): ${run.skippedTicks
            .slice(0, 5)
            .map((x) => `${x.sensorId} +${(x.atMs / 60_000).toFixed(0)}m`)
            .join(', ')}${run.skippedTicks.length > 5 ? ', …' : ''}\n`,
        );
      if (o.check) process.stdout.write(formatDiff(file, check));
      else for (const p of run.problems) process.stdout.write(`${p}\n`);
    }
    return o.check && !check.pass ? 1 : 0;
  } catch (err) {
    if (err instanceof ColdtraceError && err.code === 'invalid_scenario') {
      process.stderr.write(`${file}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`scenario ${file} failed: ${errorMessage(err)}\n`);
    return 2;
  }
}
