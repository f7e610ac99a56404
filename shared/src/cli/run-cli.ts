import { CliHelpRequest, CliUsageError } from './command.js';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * Runs one `coldtrace` command and turns its outcome into the exit code every command shares: 0 done
 * (or help shown on stdout), 1 failed (one line on stderr naming the command), 2 wrong command line
 * (the problem and the usage on stderr). `words` names the command that ran (`sim llrp`), asked only
 * when it failed.
 */
export async function runCli(
  run: () => Promise<number | undefined>,
  words: () => string,
  io: CliIo = process,
): Promise<number> {
  try {
    return (await run()) ?? 0;
  } catch (err) {
    if (err instanceof CliHelpRequest) {
      io.stdout.write(err.usage);
      return 0;
    }
    if (err instanceof CliUsageError) {
      io.stderr.write(`coldtrace${err.command ? ` ${err.command}` : ''}: ${err.problem}\n\n${err.usage}`);
      return 2;
    }
    const e = err as Error;
    io.stderr.write(`coldtrace ${words()}: ${e.message}\n`);
    if (process.env.COLDTRACE_DEBUG) io.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
