import type { CliCommand, CliGroup, CliOption } from './command.js';

/** Two aligned columns, indented by two spaces. */
export function usageTable(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([left]) => left.length)) + 3;
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`.trimEnd()).join('\n');
}

/** `sim scenario <file>`: the command's words and its positional arguments. */
export function commandSynopsis(command: CliCommand): string {
  const args = (command.args ?? []).map((a) => (a.optional ? `[<${a.name}>]` : `<${a.name}>`));
  return [command.name, ...args].join(' ');
}

const flag = (name: string, o: CliOption) =>
  o.type === 'boolean' ? `--${name}` : `--${name} ${o.value ?? 'VALUE'}${o.multiple ? '...' : ''}`;

/** The help of one command: usage line, summary, arguments, options, notes. */
export function commandUsage(command: CliCommand): string {
  const options = Object.entries(command.options);
  const line = [
    `coldtrace ${commandSynopsis(command)}`,
    ...options.filter(([, o]) => o.required).map(([n, o]) => flag(n, o)),
    ...options.filter(([, o]) => !o.required).map(([n, o]) => `[${flag(n, o)}]`),
  ].join(' ');
  const rows: [string, string][] = [
    ...(command.args ?? []).map((a): [string, string] => [`<${a.name}>`, a.description]),
    ...options.map(([n, o]): [string, string] => [
      flag(n, o),
      o.description + (o.default !== undefined ? ` (default ${o.default})` : ''),
    ]),
    ['-h, --help', 'show this help'],
  ];
  const notes = command.notes?.length ? `\n${command.notes.join('\n')}\n` : '';
  return `usage: ${line}\n\n${command.summary}\n\n${usageTable(rows)}\n${notes}`;
}

/** The help of a command made of subcommands: each subcommand with its summary. */
export function groupUsage(group: CliGroup): string {
  const rows = group.commands.map((c): [string, string] => [commandSynopsis(c), c.summary]);
  return (
    `usage: coldtrace ${group.name} <command> [options]\n\n${group.summary}\n\n${usageTable(rows)}\n\n` +
    `\`coldtrace ${group.name} <command> --help\` shows a command's options.\n`
  );
}
