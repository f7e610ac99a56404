import {
  ARCHIVE_COMMANDS,
  AUDIT_COMMANDS,
  CLOUD_COMMAND,
  GATEWAY_COMMANDS,
  runArchiveCli,
  runAuditCli,
  runCloudCli,
  runGatewayCli,
  runUserCli,
  USER_COMMANDS,
} from '@coldtrace/cloud/cli';
import { EDGE_COMMAND, runEdgeCli, runSensorCli, SENSOR_COMMANDS } from '@coldtrace/edge/cli';
import {
  LLRP_SIM_COMMAND,
  MODBUS_SIM_COMMAND,
  runSimCli,
  SCANNER_SIM_COMMAND,
} from '@coldtrace/firmware-sim/cli';
import { DEMO_COMMAND, runDemoCli, runScenarioCli, SCENARIO_COMMAND } from '@coldtrace/scenario/cli';
import {
  type CliCommand,
  type CliGroup,
  type CliIo,
  CliUsageError,
  commandSynopsis,
  pickCommand,
  runCli,
  usageTable,
} from '@coldtrace/shared/cli';

/**
 * `coldtrace <command>`: dispatches to the workspace that owns each command. Each command declares its
 * options once (the workspace's `cli` entry); the same declaration gives its parser and its `--help`.
 * Exit codes: 0 done (or help shown), 1 the command failed, 2 the command line is wrong.
 */

export const SIM_COMMANDS: CliGroup = {
  name: 'sim',
  summary: 'simulators: an LLRP reader, Modbus sensors, a barcode scanner, whole scenarios',
  commands: [LLRP_SIM_COMMAND, MODBUS_SIM_COMMAND, SCANNER_SIM_COMMAND, SCENARIO_COMMAND],
};

export interface CliEntry {
  spec: CliCommand | CliGroup;
  /** Runs with the words after the command's first word; loads the workspace's modules only then. */
  run(argv: string[]): Promise<number | undefined>;
}

/** Every command, in the order the help lists them (each `cli` entry loads its modules only to run). */
export const COMMANDS: readonly CliEntry[] = [
  { spec: DEMO_COMMAND, run: runDemoCli },
  { spec: CLOUD_COMMAND, run: runCloudCli },
  { spec: GATEWAY_COMMANDS, run: runGatewayCli },
  { spec: EDGE_COMMAND, run: runEdgeCli },
  { spec: SENSOR_COMMANDS, run: (argv) => runSensorCli(argv) },
  {
    spec: SIM_COMMANDS,
    run: (argv) =>
      pickCommand(SIM_COMMANDS, argv).command === SCENARIO_COMMAND
        ? runScenarioCli(argv.slice(1))
        : runSimCli(argv),
  },
  { spec: AUDIT_COMMANDS, run: runAuditCli },
  { spec: ARCHIVE_COMMANDS, run: runArchiveCli },
  { spec: USER_COMMANDS, run: runUserCli },
];

/** The commands that run (a group's subcommands in its place). */
export function leafCommands(entries: readonly CliEntry[] = COMMANDS): CliCommand[] {
  return entries.flatMap(({ spec }) => ('commands' in spec ? [...spec.commands] : [spec]));
}

export const USAGE = `usage: coldtrace <command> [options]

${usageTable(leafCommands().map((c) => [commandSynopsis(c), c.summary]))}

\`coldtrace <command> --help\` shows a command's options.
`;

/** `sim llrp` for `sim llrp --port 0`: the words naming the command that ran. */
function commandWords(argv: readonly string[]): string {
  const [name, sub] = argv;
  const leaf = leafCommands().find((c) => c.name === `${name} ${sub}`);
  return leaf ? leaf.name : String(name);
}

export type MainIo = CliIo;

export function main(argv: readonly string[], io: MainIo = process): Promise<number> {
  const [name, ...rest] = argv;
  return runCli(
    async () => {
      if (name === '--help' || name === '-h' || name === 'help') {
        io.stdout.write(USAGE);
        return 0;
      }
      const entry = COMMANDS.find((e) => e.spec.name === name);
      if (!entry)
        throw new CliUsageError(
          '',
          name === undefined
            ? 'missing command'
            : name.startsWith('-')
              ? `unknown option ${name} (the command comes first)`
              : `unknown command ${JSON.stringify(name)}`,
          USAGE,
        );
      return entry.run(rest);
    },
    () => commandWords(argv),
    io,
  );
}
