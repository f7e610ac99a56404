import { COLDTRACE_VERSION } from '@coldtrace/shared';
import { formatDuration } from './duration.js';
import type { CheckResult } from './expectations.js';
import type { LoadedScenario } from './load-scenario.js';
import { runClock, type ScenarioRun } from './runner.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The validation report (IQ/OQ evidence): the scenario, each expectation with what was observed and
 * pass/fail, the software version, the run's clock and when it ran. Self-contained HTML (no CDN).
 */
export function validationReportHtml(
  loaded: LoadedScenario,
  run: ScenarioRun,
  check: CheckResult,
  now = new Date(),
): string {
  const s = loaded.scenario;
  const rows = check.results
    .map(
      (r) =>
        `<tr class="${r.pass ? 'pass' : 'fail'}"><td>${r.index + 1}</td><td>${r.line}</td><td>${esc(r.expected)}</td><td>${esc(r.observed)}</td><td>${r.pass ? 'PASS' : r.unavailable ? 'FAIL (not evaluable yet)' : 'FAIL'}</td></tr>`,
    )
    .join('\n');
  const timeline = s.timeline
    .map((e) => {
      const { at, note, ...rest } = e;
      return `<tr><td>+${formatDuration(at)}</td><td><code>${esc(JSON.stringify(rest))}</code></td><td>${esc(note ?? '')}</td></tr>`;
    })
    .join('\n');
  const excursions = run.observed.excursions
    .map(
      (x) =>
        `<tr><td>${esc(x.locationId)}</td><td>+${formatDuration(x.startMs)}</td><td>${x.endMs === null ? 'ongoing' : `+${formatDuration(x.endMs)}`}</td><td>${x.peakC.toFixed(1)}</td><td>${x.critical ? 'yes' : 'no'}</td></tr>`,
    )
    .join('\n');
  const c = run.observed.counts;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Validation report: ${esc(s.name)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #bbb;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#eee}
tr.pass td:last-child{color:#060;font-weight:bold}tr.fail td:last-child{color:#b00;font-weight:bold}
.verdict{font-size:1.4rem;font-weight:bold}.ok{color:#060}.ko{color:#b00}code{font-size:.85rem}
</style></head><body>
<h1>Validation report: ${esc(s.name)}</h1>
<p class="verdict ${check.pass ? 'ok' : 'ko'}">${check.pass ? 'PASS' : 'FAIL'}: ${check.results.filter((r) => r.pass).length} of ${check.results.length} expectation(s) met</p>
<table>
<tr><th>Scenario file</th><td>${esc(loaded.source)}</td></tr>
<tr><th>Description</th><td>${esc(s.description ?? '')}</td></tr>
<tr><th>Software</th><td>coldtrace ${esc(COLDTRACE_VERSION)} (Node ${esc(process.version)})</td></tr>
<tr><th>Run at</th><td>${esc(now.toISOString())}</td></tr>
<tr><th>Scenario time</th><td>${esc(s.start)} + ${formatDuration(s.duration)} (seed ${s.seed}); ${esc(runClock(run))}, tick ${formatDuration(s.clock.tick)}</td></tr>
<tr><th>Real time taken</th><td>${(run.wallMs / 1000).toFixed(1)} s</td></tr>
<tr><th>Cloud store</th><td>${c.readings} readings, ${c.movements} movements, ${c.alarms} alarms, ${c.excursions} excursions, ${c.deadLetters} dead letters</td></tr>
</table>
<h2>Expectations</h2>
<table><tr><th>#</th><th>Line</th><th>Expected</th><th>Observed</th><th>Result</th></tr>
${rows}
</table>
<h2>Timeline</h2>
<table><tr><th>At</th><th>Event</th><th>Note</th></tr>
${timeline}
</table>
<h2>Excursions observed</h2>
<table><tr><th>Location</th><th>Start</th><th>End</th><th>Peak °C</th><th>Critical</th></tr>
${excursions || '<tr><td colspan="5">none</td></tr>'}
</table>
${check.problems.length ? `<h2>Run problems (each fails the check)</h2><ul class="problems">${check.problems.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
