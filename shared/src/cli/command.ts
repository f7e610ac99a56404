import { parseArgs } from 'node:util';
import { ColdtraceError } from '../errors.js';
import { commandUsage, groupUsage } from './usage.js';

/** One `--flag` of a command: the parser's option and its line in the help, declared once. */
export interface CliOption {
  type: 'string' | 'boolean';
  /** One line for the help. */
  description: string;
  /** The value's placeholder in the help (string options), e.g. `N`, `URL`, `FILE`. */
  value?: string;
  /** Repeatable; the values arrive as an array. */
  multiple?: boolean;
  default?: string;
  required?: boolean;
}

/** A positional argument, in order. */
export interface CliArgument {
  name: string;
  description: string;
  optional?: boolean;
}

/** A command (`coldtrace <name> …`, `name` being its words, e.g. `sim llrp`). */
export interface CliCommand<
  O extends Readonly<Record<string, CliOption>> = Readonly<Record<string, CliOption>>,
  A extends readonly CliArgument[] = readonly CliArgument[],
> {
  name: string;
  summary: string;
  args?: A;
  options: O;
  /** Lines printed after the options (exit codes, accepted values). */
  notes?: readonly string[];
}

/** A command made of subcommands (`coldtrace user add|list|token`). */
export interface CliGroup {
  name: string;
  summary: string;
  commands: readonly CliCommand[];
}

type OptionValue<O extends CliOption> = O['type'] extends 'boolean'
  ? boolean
  : O['multiple'] extends true
    ? string[]
    : string;

/** Booleans default to false and repeatable options to []; other options without a default may be absent. */
export type CliValues<O extends Readonly<Record<string, CliOption>>> = {
  -readonly [K in keyof O]: O[K] extends { type: 'boolean' } | { multiple: true } | { default: string }
    ? OptionValue<O[K]>
    : O[K] extends { required: true }
      ? OptionValue<O[K]>
      : OptionValue<O[K]> | undefined;
};

export type CliArgs<A extends readonly CliArgument[]> = {
  [P in A[number] as P['name']]: P extends { optional: true } ? string | undefined : string;
};

export interface ParsedCommand<
  O extends Readonly<Record<string, CliOption>>,
  A extends readonly CliArgument[],
> {
  values: CliValues<O>;
  args: CliArgs<A>;
  /** Rejects a value the parser cannot judge (a port out of range): a usage error of this command. */
  fail(problem: string): never;
}

/** `--help`/`-h` was given: not a failure, the caller prints `usage` on stdout and exits 0. */
export class CliHelpRequest extends Error {
  constructor(readonly usage: string) {
    super(usage);
    this.name = 'CliHelpRequest';
  }
}

/** The command line is wrong (exit 2): `problem` is one line; the message adds the usage. */
export class CliUsageError extends ColdtraceError {
  constructor(
    /** The command's words (`sim llrp`), empty for `coldtrace` itself. */
    readonly command: string,
    readonly problem: string,
    readonly usage: string,
  ) {
    super('cli_usage', `${problem}\n${usage}`);
    this.name = 'CliUsageError';
  }
}

/** Keeps the literal types of a declaration, so that `parseCommand` knows which values are present. */
export function defineCommand<
  const O extends Readonly<Record<string, CliOption>>,
  const A extends readonly CliArgument[] = readonly [],
>(command: CliCommand<O, A>): CliCommand<O, A> {
  return command;
}

/**
 * Parses `argv` (the words after the command's name) against the command's declaration. Throws
 * `CliHelpRequest` on `--help`/`-h` (before judging anything else) and `CliUsageError` for an unknown
 * option, an option without its value (or with one it does not take), a missing required option, a
 * missing or unexpected positional argument.
 */
export function parseCommand<O extends Readonly<Record<string, CliOption>>, A extends readonly CliArgument[]>(
  command: CliCommand<O, A>,
  argv: readonly string[],
): ParsedCommand<O, A> {
  const usage = commandUsage(command);
  const fail = (problem: string): never => {
    throw new CliUsageError(command.name, problem, usage);
  };
  const config = Object.fromEntries(
    Object.entries(command.options).map(([name, o]) => [
      name,
      { type: o.type, ...(o.multiple ? { multiple: true } : {}) },
    ]),
  );
  const { tokens } = parseArgs({
    args: [...argv],
    options: { ...config, help: { type: 'boolean', short: 'h' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) throw new CliHelpRequest(usage);

  const values: Record<string, string | boolean | string[] | undefined> = {};
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(t.value);
    if (t.kind !== 'option') continue;
    const option = Object.hasOwn(command.options, t.name) ? command.options[t.name] : undefined;
    if (!option) return fail(`unknown option ${t.rawName}`);
    if (option.type === 'boolean') {
      if (t.value !== undefined) fail(`${t.rawName} takes no value (got ${JSON.stringify(t.value)})`);
      values[t.name] = true;
      continue;
    }
    // An option-like word after a string option is a forgotten value, not the value (`--config --json`).
    if (!t.value || (!t.inlineValue && t.value.startsWith('-')))
      fail(`${t.rawName} needs a value (${option.value ?? 'VALUE'})`);
    const value = t.value as string;
    values[t.name] = option.multiple ? [...((values[t.name] as string[] | undefined) ?? []), value] : value;
  }
  const declared = command.args ?? [];
  const extra = positionals[declared.length];
  if (extra !== undefined) fail(`unexpected argument ${JSON.stringify(extra)}`);
  const args: Record<string, string | undefined> = {};
  declared.forEach((a, i) => {
    if (positionals[i] === undefined && !a.optional) fail(`missing <${a.name}>`);
    args[a.name] = positionals[i];
  });
  for (const [name, o] of Object.entries(command.options)) {
    if (values[name] !== undefined) continue;
    if (o.required) fail(`--${name} is required`);
    values[name] = o.type === 'boolean' ? false : o.multiple ? [] : o.default;
  }
  return { values: values as CliValues<O>, args: args as CliArgs<A>, fail };
}

/**
 * Picks the subcommand named by `argv[0]` and returns it with the rest of `argv`. Throws
 * `CliHelpRequest` (the group's usage) on `--help`/`-h` and `CliUsageError` when the subcommand is
 * missing or unknown.
 */
export function pickCommand(
  group: CliGroup,
  argv: readonly string[],
): { command: CliCommand; argv: string[] } {
  const [word, ...rest] = argv;
  const usage = groupUsage(group);
  if (word === '--help' || word === '-h') throw new CliHelpRequest(usage);
  const prefix = `${group.name} `;
  const command = group.commands.find((c) => c.name === prefix + word);
  if (command) return { command, argv: rest };
  const names = group.commands.map((c) => c.name.slice(prefix.length)).join('|');
  throw new CliUsageError(
    group.name,
    word === undefined
      ? `missing command (${names})`
      : word.startsWith('-')
        ? `unknown option ${word} (the command comes first: ${names})`
        : `unknown command ${JSON.stringify(`${group.name} ${word}`)} (${names})`,
    usage,
  );
}
