// The command-line conventions every `coldtrace` command shares (`@coldtrace/shared/cli`): one
// declaration per command gives its parser and its help.
export {
  type CliArgs,
  type CliArgument,
  type CliCommand,
  type CliGroup,
  CliHelpRequest,
  type CliOption,
  CliUsageError,
  type CliValues,
  defineCommand,
  type ParsedCommand,
  parseCommand,
  pickCommand,
} from './command.js';
export { type CliIo, runCli } from './run-cli.js';
export { commandSynopsis, commandUsage, groupUsage, usageTable } from './usage.js';
