import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EDGE_COMMAND } from '@coldtrace/edge/cli';
import { commandUsage } from '@coldtrace/shared/cli';
import { repoRoot, until } from '@coldtrace/shared/testing';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../bin/cli.js';
import { BUILD_STAMP, COMPILED_MAIN, edgeRuntime } from '../bin/edge-runtime.mjs';

// The gateway runtime: `coldtrace edge|sensor` runs the compiled JavaScript in edge/dist (bin/build-edge.mjs)
// when it is built from the current sources, with shared's compiled modules and no TypeScript loaded.

const BIN = join(repoRoot, 'bin/coldtrace.mjs');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'coldtrace-edge-runtime-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('edgeRuntime (which runtime `coldtrace edge` picks)', () => {
  /** A repository tree with the two source folders, built (stamp written) or not. */
  function tree(built: boolean) {
    const root = tmp();
    for (const d of ['edge/src/modbus', 'shared/src']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'edge/src/modbus/bus.ts'), '');
    writeFileSync(join(root, 'shared/src/index.ts'), '');
    if (built) {
      mkdirSync(join(root, 'edge/dist/src'), { recursive: true });
      writeFileSync(join(root, COMPILED_MAIN), '');
      writeFileSync(join(root, BUILD_STAMP), '{}');
    }
    const age = (file: string, secondsAgo: number) => {
      const t = Date.now() / 1000 - secondsAgo;
      utimesSync(join(root, file), t, t);
    };
    // the sources older than the build
    age('edge/src/modbus/bus.ts', 60);
    age('shared/src/index.ts', 60);
    return { root, age };
  }

  it('takes the compiled gateway when it is newer than every source file', () => {
    expect(edgeRuntime(tree(true).root, {})).toEqual({ runtime: 'compiled' });
  });

  it('falls back to tsx, saying why, when the build is missing or older than a source file', () => {
    expect(edgeRuntime(tree(false).root, {})).toEqual({
      runtime: 'tsx',
      why: 'edge/dist is not built (npm run build)',
    });
    const t = tree(true);
    expect(edgeRuntime(t.root, {}).runtime).toBe('compiled');
    t.age('edge/src/modbus/bus.ts', -5); // edited after the build, in a subfolder
    expect(edgeRuntime(t.root, {})).toEqual({
      runtime: 'tsx',
      why: 'edge/dist is older than edge/src (npm run build)',
    });
  });

  it('COLDTRACE_EDGE_RUNTIME forces one: compiled refuses a missing build, runs a stale one saying so', () => {
    expect(edgeRuntime(tree(true).root, { COLDTRACE_EDGE_RUNTIME: 'tsx' })).toEqual({ runtime: 'tsx' });
    expect(edgeRuntime(tree(false).root, { COLDTRACE_EDGE_RUNTIME: 'compiled' })).toEqual({
      error: 'COLDTRACE_EDGE_RUNTIME=compiled, but edge/dist is not built (npm run build)',
    });
    const t = tree(true);
    t.age('shared/src/index.ts', -5);
    expect(edgeRuntime(t.root, { COLDTRACE_EDGE_RUNTIME: 'compiled' })).toEqual({
      runtime: 'compiled',
      why: 'edge/dist is older than shared/src (npm run build)',
    });
  });
});

describe('the compiled gateway (edge/dist)', () => {
  let noTs = '';
  beforeAll(() => {
    // CI builds it in `npm ci` (prepare); a checkout without it builds it here.
    if (!existsSync(join(repoRoot, COMPILED_MAIN))) {
      const r = spawnSync(process.execPath, [join(repoRoot, 'bin/build-edge.mjs')], { encoding: 'utf8' });
      expect(r.status, r.stderr + r.stdout).toBe(0);
    }
    // A loader hook that fails the process when any TypeScript module is loaded.
    noTs = join(tmp(), 'no-ts.mjs');
    writeFileSync(
      noTs,
      `import { register } from 'node:module';
register('data:text/javascript,export async function load(u,c,n){if(u.endsWith(".ts"))throw new Error("TypeScript loaded: "+u);return n(u,c)}');\n`,
    );
  }, 180_000);

  const env = { ...process.env, COLDTRACE_EDGE_RUNTIME: 'compiled' };
  /** `coldtrace …` through bin/coldtrace.mjs, compiled runtime, no TypeScript allowed. */
  const compiled = (argv: string[]) => {
    const r = spawnSync(process.execPath, ['--import', noTs, BIN, ...argv], { encoding: 'utf8', env });
    // a stale build (sources edited since) still runs, with a note first
    const stderr = r.stderr.replace(/^coldtrace \w+: COLDTRACE_EDGE_RUNTIME=compiled: .*\n/, '');
    return { code: r.status, stdout: r.stdout, stderr };
  };
  /** The same command through the whole CLI (bin/cli.ts, the TypeScript sources). */
  async function sources(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
    });
    return { code, stdout, stderr };
  }

  it('answers help, a wrong command line and a failure as the whole CLI does, loading no TypeScript', async () => {
    // the hook's precondition: it does fail a process that loads TypeScript (the sources under tsx)
    const tsx = spawnSync(process.execPath, ['--import', noTs, BIN, 'edge', '--help'], {
      encoding: 'utf8',
      env: { ...env, COLDTRACE_EDGE_RUNTIME: 'tsx' },
    });
    expect(tsx.status).not.toBe(0);
    expect(tsx.stderr).toContain('TypeScript loaded: file://');
    const help = compiled(['edge', '--help']);
    expect(help).toEqual({ code: 0, stdout: commandUsage(EDGE_COMMAND), stderr: '' });
    for (const argv of [
      ['edge', '--help'],
      ['edge', '--bogus'],
      ['edge', '--config', '/nonexistent/edge.yaml'],
      ['sensor', 'scan', '--device', '/nonexistent/ttyUSB0'],
      ['sensor', 'frob'],
      ['sensor', 'info', '--device', '/dev/null', '--address', '300'],
    ])
      expect(compiled(argv), argv.join(' ')).toEqual(await sources(argv));
  });

  it('runs a gateway that connects and publishes its status, then stops on SIGTERM with exit 0', async () => {
    const broker = await Aedes.createBroker();
    const server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'runtime-test' });
    const topics: string[] = [];
    sub.on('message', (topic) => topics.push(topic));
    await sub.subscribeAsync('coldtrace/v1/gw/gw-compiled/#', { qos: 1 });
    const dir = tmp();
    const config = join(dir, 'edge.json');
    writeFileSync(
      config,
      JSON.stringify({
        gatewayId: 'gw-compiled',
        dataDir: join(dir, 'data'),
        mqtt: { url: `mqtt://127.0.0.1:${port}`, password: 'secret' },
        logLevel: 'warn',
      }),
    );
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ['--import', noTs, BIN, 'edge', '--config', config], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
      await until(() => topics.length > 0 || child!.exitCode !== null, 'the first publish', {
        timeoutMs: 20_000,
      });
      expect(child.exitCode, stderr).toBeNull();
      expect(topics[0]).toMatch(/^coldtrace\/v1\/gw\/gw-compiled\//);
      child.kill('SIGTERM');
      expect(await exited, stderr).toBe(0);
      expect(stderr).not.toContain('TypeScript loaded');
    } finally {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      await sub.endAsync(true);
      await new Promise<void>((r) => broker.close(() => r()));
      server.close();
    }
  }, 60_000);
});
