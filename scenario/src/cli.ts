import { extname } from 'node:path';
import { defineCommand, parseCommand } from '@coldtrace/shared/cli';

// The scenario workspace's commands (`coldtrace demo`, `coldtrace sim scenario`) as the parser and the
// help see them (declared once, here); the modules that run them are loaded only once the command line is valid.

const keep = {
  type: 'boolean',
  description: 'keep the data directory (SQLite files, logs) after the run',
} as const;
const dataDir = { type: 'string', value: 'DIR', description: 'put the data there (implies --keep)' } as const;

export const DEMO_COMMAND = defineCommand({
  name: 'demo',
  summary: 'play the demo journey: cloud, three gateways, simulators, a QA login',
  options: {
    duration: { type: 'string', value: 'S', description: 'stop after S seconds (default: run until Ctrl-C)' },
    json: { type: 'boolean', description: 'print the summary as one JSON line instead of text' },
    keep,
    'data-dir': dataDir,
  },
});

export const SCENARIO_COMMAND = defineCommand({
  name: 'sim scenario',
  summary: 'play a scenario file through the real cloud, gateways and simulators on a scenario clock',
  args: [{ name: 'file', description: 'the scenario (YAML), e.g. scenario/scenarios/demo-journey.yaml' }],
  options: {
    check: { type: 'boolean', description: "compare the conclusions with the file's expectations" },
    report: { type: 'string', value: 'FILE', description: 'write the validation report (.html or .pdf)' },
    json: { type: 'boolean', description: 'print the result as one JSON line (and no progress)' },
    quiet: { type: 'boolean', description: 'no progress lines' },
    clock: {
      type: 'string',
      value: 'C',
      description:
        'scaled (default; N times the wall clock) or virtual (event to event, as fast as it computes)',
    },
    scale: {
      type: 'string',
      value: 'N',
      description: "simulated seconds per real second on the scaled clock (default: the file's)",
    },
    'drain-timeout': {
      type: 'string',
      value: 'S',
      description: 'real seconds a gateway has to empty its buffer at the end (default 20)',
    },
    keep,
    'data-dir': dataDir,
  },
  notes: [
    'exit 0: the run happened (with --check: every expectation held and the run had no problem);',
    'exit 1: --check found a difference (the diff names the line) or the run had a problem;',
    'exit 2: bad arguments, an invalid scenario file, or the run could not happen.',
  ],
});

/** Parses and judges the whole command line before loading (and so before starting) anything. */
export async function runDemoCli(argv: string[]): Promise<number> {
  const { values, fail } = parseCommand(DEMO_COMMAND, argv);
  const durationS = values.duration === undefined ? undefined : Number(values.duration);
  if (durationS !== undefined && !(Number.isFinite(durationS) && durationS > 0))
    fail(`--duration must be a positive number of seconds, got ${values.duration}`);
  return (await import('./demo/demo-cli.js')).runDemoCli({
    durationS,
    json: values.json,
    keep: values.keep,
    dataDir: values['data-dir'],
  });
}

export async function runScenarioCli(argv: string[]): Promise<number> {
  const { values, args, fail } = parseCommand(SCENARIO_COMMAND, argv);
  if (values.clock !== undefined && values.clock !== 'scaled' && values.clock !== 'virtual')
    fail(`--clock must be scaled or virtual, got ${values.clock}`);
  const clock = values.clock === 'virtual' ? 'virtual' : 'scaled';
  const scale = values.scale === undefined ? undefined : Number(values.scale);
  if (scale !== undefined && !(scale >= 1)) fail(`--scale must be a number ≥ 1, got ${values.scale}`);
  const drainS = values['drain-timeout'] === undefined ? undefined : Number(values['drain-timeout']);
  if (drainS !== undefined && !(Number.isFinite(drainS) && drainS >= 0))
    fail(`--drain-timeout must be a number of seconds ≥ 0, got ${values['drain-timeout']}`);
  const kind = values.report === undefined ? undefined : extname(values.report).toLowerCase();
  if (kind !== undefined && kind !== '.html' && kind !== '.htm' && kind !== '.pdf')
    fail(
      `--report ${values.report}: the validation report is written as HTML (.html) or PDF (.pdf); give a path ending in one of those`,
    );
  return (await import('./scenario-cli.js')).runScenarioCli({
    file: args.file,
    check: values.check,
    report: values.report === undefined ? undefined : { path: values.report, pdf: kind === '.pdf' },
    json: values.json,
    quiet: values.quiet,
    clock,
    scale,
    drainTimeoutMs: drainS === undefined ? undefined : drainS * 1000,
    keep: values.keep,
    dataDir: values['data-dir'],
  });
}
