import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { ColdtraceError, errorMessage } from '@coldtrace/shared';
import { checkExpectations, formatDiff } from './expectations.js';
import { loadScenario } from './load-scenario.js';
import { validationReportHtml } from './report-html.js';
import { validationReportPdf } from './report-pdf.js';
import { runScenario } from './runner.js';

const USAGE =
  'usage: coldtrace sim scenario <file.yaml> [--check] [--report out.html|out.pdf] [--json] [--scale N] [--drain-timeout S] [--keep] [--data-dir D]';

/**
 * `coldtrace sim scenario F [--check] [--report out.html|out.pdf]`: runs a scenario through the real
 * cloud, gateways and simulators. Exit 0 = ran (and, with --check, every expectation met and the run had
 * no problem); 1 = an expectation failed (the diff names its line), or an event could not be carried out,
 * or a gateway did not drain in time; 2 = bad arguments, an invalid scenario file, or the run could not
 * happen.
 */
export async function runScenarioCli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      check: { type: 'boolean', default: false },
      report: { type: 'string' },
      json: { type: 'boolean', default: false },
      scale: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      'drain-timeout': { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let scale: number | undefined;
  if (values.scale !== undefined) {
    scale = Number(values.scale);
    if (!(scale >= 1)) {
      process.stderr.write(`--scale must be a number ≥ 1, got ${values.scale}\n`);
      return 2;
    }
  }
  let drainTimeoutMs: number | undefined;
  if (values['drain-timeout'] !== undefined) {
    const secs = Number(values['drain-timeout']);
    if (!(secs >= 0) || !Number.isFinite(secs)) {
      process.stderr.write(
        `--drain-timeout must be a number of seconds ≥ 0, got ${values['drain-timeout']}\n`,
      );
      return 2;
    }
    drainTimeoutMs = secs * 1000;
  }
  const reportKind = values.report === undefined ? undefined : extname(values.report).toLowerCase();
  if (reportKind !== undefined && reportKind !== '.html' && reportKind !== '.htm' && reportKind !== '.pdf') {
    process.stderr.write(
      `--report ${values.report}: the validation report is written as HTML (.html) or PDF (.pdf); give a path ending in one of those\n`,
    );
    return 2;
  }
  try {
    const loaded = loadScenario(file);
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    const quiet = values.json || values.quiet;
    const run = await runScenario(loaded, {
      scale,
      keep: values.keep,
      dataDir: values['data-dir'],
      drainTimeoutMs,
      signal: abort.signal,
      say: quiet ? undefined : (line) => process.stdout.write(`${line}\n`),
    }).finally(() => process.off('SIGINT', onSignal));
    const check = checkExpectations(loaded, run.observed, run.problems);
    if (values.report) {
      writeFileSync(
        values.report,
        reportKind === '.pdf'
          ? await validationReportPdf(loaded, run, check)
          : validationReportHtml(loaded, run, check),
      );
      if (!quiet) process.stdout.write(`validation report written to ${values.report}\n`);
    }
    if (values.json) {
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
      if (values.check) process.stdout.write(formatDiff(file, check));
      else for (const p of run.problems) process.stdout.write(`${p}\n`);
    }
    return values.check && !check.pass ? 1 : 0;
  } catch (err) {
    if (err instanceof ColdtraceError && err.code === 'invalid_scenario') {
      process.stderr.write(`${file}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`scenario ${file} failed: ${errorMessage(err)}\n`);
    return 2;
  }
}
