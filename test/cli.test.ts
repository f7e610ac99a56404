import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { type CliCommand, commandUsage, groupUsage } from '@coldtrace/shared/cli';
import { repoRoot, until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { COMMANDS, leafCommands, main, USAGE } from '../bin/cli.js';

// `coldtrace <command>`: every command answers --help and refuses a wrong command line before starting
// anything (exit 2), table-driven from the command registry so that a new command is covered by adding it.

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

/** Exit 2, nothing on stdout, one line naming the problem, then the command's usage, on stderr. */
function expectUsageErrorOf(command: CliCommand, r: Awaited<ReturnType<typeof run>>, problem: string) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const [line, blank, ...rest] = r.stderr.split('\n');
  expect(line).toBe(`coldtrace ${command.name}: ${problem}`);
  expect(blank).toBe('');
  expect(rest.join('\n')).toBe(commandUsage(command));
}

const leaves = leafCommands();
const groups = COMMANDS.flatMap(({ spec }) => ('commands' in spec ? [spec] : []));

describe('the command registry', () => {
  it('holds every command of the coldtrace CLI', () => {
    expect(leaves.map((c) => c.name).sort()).toEqual(
      [
        'archive create',
        'archive list',
        'archive prune',
        'archive restore',
        'archive verify',
        'audit checkpoint',
        'audit keygen',
        'audit verify',
        'cloud',
        'demo',
        'edge',
        'gateway add',
        'sensor calibrate',
        'sensor info',
        'sensor scan',
        'sensor set-address',
        'sensor set-baud',
        'sim llrp',
        'sim modbus',
        'sim scanner',
        'sim scenario',
        'user add',
        'user list',
        'user token',
      ].sort(),
    );
  });
});

describe('coldtrace --help', () => {
  it.each(['--help', '-h'])('%s lists every command on stdout and exits 0', async (flag) => {
    const r = await run([flag]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^usage: coldtrace <command>/);
    for (const c of leaves) expect(r.stdout).toContain(`  ${c.name}`);
  });

  it.each([
    [[], 'missing command'],
    [['frob'], 'unknown command "frob"'],
    [['--bogus'], 'unknown option --bogus'],
  ])('%j is a usage error (exit 2, the usage on stderr)', async (argv, problem) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toContain(`coldtrace: ${problem}`);
    expect(r.stderr).toContain(USAGE);
  });
});

describe.each(groups)('coldtrace $name (a command made of subcommands)', (group) => {
  it('--help lists its subcommands on stdout and exits 0', async () => {
    const r = await run([group.name, '--help']);
    expect(r).toMatchObject({ code: 0, stderr: '', stdout: groupUsage(group) });
    for (const c of group.commands) expect(r.stdout).toContain(c.summary);
  });

  it.each([
    [[], 'missing command'],
    [['frob'], 'unknown command'],
    [['--bogus'], 'unknown option --bogus'],
  ])('%j is a usage error naming the problem (exit 2)', async (argv, problem) => {
    const r = await run([group.name, ...argv]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toContain(`coldtrace ${group.name}: ${problem}`);
    expect(r.stderr).toContain(groupUsage(group));
  });
});

describe.each(leaves)('coldtrace $name', (command) => {
  const words = command.name.split(' ');
  const usage = commandUsage(command);
  const options = Object.entries(command.options);
  /** Fills the positional arguments (optional ones too: a surplus one is then unexpected), so that the case under test is the only problem. */
  const positionals = (command.args ?? []).map((a) => `some-${a.name}`);

  const expectUsageError = (r: Awaited<ReturnType<typeof run>>, problem: string) =>
    expectUsageErrorOf(command, r, problem);

  it.each(['--help', '-h'])(
    '%s prints its usage (naming the command and each option) on stdout, exit 0',
    async (flag) => {
      const r = await run([...words, flag]);
      expect(r).toMatchObject({ code: 0, stderr: '', stdout: usage });
      expect(r.stdout).toMatch(new RegExp(`^usage: coldtrace ${command.name}[ \\n]`));
      for (const [name, o] of options) {
        expect(r.stdout).toContain(`--${name}`);
        expect(r.stdout).toContain(o.description);
      }
    },
  );

  it('--help wins over a wrong command line (it still only prints the usage)', async () => {
    const r = await run([...words, '--bogus', '--help']);
    expect(r).toMatchObject({ code: 0, stderr: '', stdout: usage });
  });

  it('--bogus is a usage error naming --bogus (exit 2, usage on stderr)', async () => {
    expectUsageError(await run([...words, ...positionals, '--bogus']), 'unknown option --bogus');
  });

  it('an option without its value is a usage error naming the option', async () => {
    const valued = options.filter(([, o]) => o.type === 'string');
    expect(valued.length, 'every command takes at least one option with a value').toBeGreaterThan(0);
    for (const [name, o] of valued) {
      expectUsageError(
        await run([...words, ...positionals, `--${name}`]),
        `--${name} needs a value (${o.value})`,
      );
      // The next option is not taken for the missing value.
      expectUsageError(
        await run([...words, ...positionals, `--${name}`, '--bogus']),
        `--${name} needs a value (${o.value})`,
      );
    }
  });

  it('an unexpected positional argument is a usage error naming it', async () => {
    expectUsageError(await run([...words, ...positionals, 'surplus']), 'unexpected argument "surplus"');
  });
});

describe('required values', () => {
  /** What a command cannot run without, in the order they are judged (arguments, then options). */
  const requiredOf = (c: CliCommand) => [
    ...(c.args ?? []).filter((a) => !a.optional).map((a) => `missing <${a.name}>`),
    ...Object.entries(c.options)
      .filter(([, o]) => o.required)
      .map(([name]) => `--${name} is required`),
  ];
  const needing = leaves.filter((c) => requiredOf(c).length > 0);

  it('are declared by the commands that cannot run without them', () => {
    expect(needing.map((c) => c.name).sort()).toEqual([
      'archive create',
      'archive prune',
      'archive restore',
      'audit keygen',
      'edge',
      'gateway add',
      'sensor calibrate',
      'sensor info',
      'sensor scan',
      'sensor set-address',
      'sensor set-baud',
      'sim modbus',
      'sim scanner',
      'sim scenario',
      'user add',
      'user token',
    ]);
  });

  it.each(needing)('coldtrace $name without them is a usage error naming the first one', async (command) => {
    expectUsageErrorOf(command, await run(command.name.split(' ')), requiredOf(command)[0]!);
  });

  it('user add and user token name --role once the name is given', async () => {
    for (const name of ['user add', 'user token']) {
      const command = leaves.find((c) => c.name === name)!;
      expectUsageErrorOf(command, await run([...name.split(' '), 'someone']), '--role is required');
    }
  });
});

describe('values the parser cannot judge', () => {
  it.each([
    [['sim', 'llrp', '--port', '70000'], 'sim llrp', '--port must be 0..65535, got 70000'],
    [
      ['sim', 'modbus', '--profile', 'p.yaml', '--seed', 'x'],
      'sim modbus',
      '--seed must be an integer, got x',
    ],
    [['cloud', '--http-port', 'web'], 'cloud', '--http-port must be a port number 0..65535, got web'],
    [['demo', '--duration', '-5'], 'demo', '--duration needs a value (S)'],
    [['demo', '--duration=0'], 'demo', '--duration must be a positive number of seconds, got 0'],
    [
      ['sim', 'scenario', 'x.yaml', '--scale', '0.5'],
      'sim scenario',
      '--scale must be a number ≥ 1, got 0.5',
    ],
    [
      ['sim', 'scenario', 'x.yaml', '--drain-timeout', 'soon'],
      'sim scenario',
      '--drain-timeout must be a number of seconds ≥ 0, got soon',
    ],
    [
      ['sim', 'scenario', 'x.yaml', '--report', 'out.txt'],
      'sim scenario',
      'is written as HTML (.html) or PDF (.pdf)',
    ],
    [['gateway', 'add', 'bad id!'], 'gateway add', 'gateway id "bad id!"'],
    [
      ['sensor', 'set-baud', '--device', 'd', '--address', '1', '--new-baud', '4800'],
      'sensor set-baud',
      '--new-baud must be 9600, 14400 or 19200, got 4800',
    ],
  ])('%j is a usage error of `%s`', async (argv, name, problem) => {
    const r = await run(argv);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.split('\n')[0]).toContain(`coldtrace ${name}: `);
    expect(r.stderr.split('\n')[0]).toContain(problem);
  });
});

describe('README', () => {
  it("shows each command's help as the command prints it", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    for (const c of leaves) {
      const help = commandUsage(c).trimEnd();
      expect(readme.includes(help), `README.md lacks the help of ${c.name}, as printed:\n${help}`).toBe(true);
    }
  });
});

describe('coldtrace sim llrp (the process)', () => {
  const BIN = join(repoRoot, 'bin/coldtrace.mjs');
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  function spawnSim(args: string[]) {
    const child = spawn(process.execPath, [BIN, 'sim', 'llrp', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const out = { stdout: '', stderr: '' };
    child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
      child.on('exit', (code, signal) => r({ code, signal })),
    );
    return { child, out, exited };
  }

  /** Resolves whether a TCP connection to host:port is accepted. */
  const accepts = (host: string, port: number) =>
    new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });

  /** Starts the simulator and returns it with the port of its "listening" line. */
  async function listening(args: string[]) {
    const sim = spawnSim(args);
    await until(() => sim.out.stdout.includes('\n'), 'the listening line', { timeoutMs: 30_000 });
    const line = JSON.parse(sim.out.stdout.split('\n')[0]!) as { msg: string; host: string; port: number };
    expect(line.msg).toBe('llrp simulator listening');
    return { ...sim, line };
  }

  async function stop(sim: Awaited<ReturnType<typeof listening>>) {
    sim.child.kill('SIGTERM');
    expect(await sim.exited).toEqual({ code: 0, signal: null });
    expect(sim.out.stderr).toBe('');
  }

  it('listens on 127.0.0.1 by default, and only there; --host 0.0.0.0 opens it to every interface', async () => {
    // Another loopback address (Linux routes 127.0.0.0/8 to lo) reaches a socket bound to 0.0.0.0 but not
    // one bound to 127.0.0.1: first shown with --host 0.0.0.0, so that the refusal below means something.
    const open = await listening(['--port', '0', '--host', '0.0.0.0']);
    expect(open.line.host).toBe('0.0.0.0');
    expect(await accepts('127.0.0.2', open.line.port)).toBe(true);
    await stop(open);

    const sim = await listening(['--port', '0']);
    expect(sim.line.host).toBe('127.0.0.1');
    expect(await accepts('127.0.0.1', sim.line.port)).toBe(true);
    expect(await accepts('127.0.0.2', sim.line.port)).toBe(false);
    await stop(sim);
  });

  it('with a bogus flag exits 2 naming it and never listens', async () => {
    // A port that was free a moment ago: the simulator would listen there if it started.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const sim = spawnSim(['--port', String(port), '--bogus']);
    expect(await sim.exited).toEqual({ code: 2, signal: null });
    expect(sim.out.stdout).toBe('');
    expect(sim.out.stderr.split('\n')[0]).toBe('coldtrace sim llrp: unknown option --bogus');
    expect(sim.out.stderr).toContain('usage: coldtrace sim llrp');
  });
});
