import { runDemo } from './demo.js';

/** `coldtrace demo`'s command line, parsed and judged in `../cli.ts`. */
export interface DemoCliOptions {
  /** Undefined: until SIGINT/SIGTERM. */
  durationS: number | undefined;
  json: boolean;
  keep: boolean;
  dataDir: string | undefined;
}

/** `coldtrace demo [--duration S] [--json] [--keep] [--data-dir D]`. */
export async function runDemoCli({ durationS, json, keep, dataDir }: DemoCliOptions): Promise<number> {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (!json && durationS === undefined)
    process.stdout.write('Running until Ctrl-C (or pass --duration S).\n');
  try {
    const summary = await runDemo({
      durationS,
      keep: keep || dataDir !== undefined,
      dataDir,
      out: json ? undefined : process.stdout,
      signal: abort.signal,
    });
    if (json) {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write(
        [
          '',
          'What happened:',
          `  ${summary.readings} temperature readings and ${summary.movements} RFID movements reached the cloud store`,
          `  ${summary.excursions} excursion(s)${summary.excursionDetails.map((e) => `: ${e.locationId} peak ${e.peakC.toFixed(1)} °C${e.critical ? ' (critical)' : ''}`).join(',')}`,
          `  ${summary.lockedUnits} unit(s) locked pending QA review${summary.lots.length ? ` (${summary.lots.map((l) => `${l.id}: ${l.locked ?? '?'} of ${l.units ?? '?'}`).join(', ')})` : ''}`,
          `  ${summary.alarms} edge alarm record(s), ${summary.deadLetters} dead letter(s)`,
          `  the QA pages and API were at ${summary.url} (OpenAPI at ${summary.url}/docs)`,
          summary.qaLogin ? `  QA login: ${summary.qaLogin.username} / ${summary.qaLogin.password}` : '',
          summary.dataDir ? `  data kept in ${summary.dataDir}` : '  (data removed; pass --keep to keep it)',
          '',
        ].join('\n'),
      );
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
