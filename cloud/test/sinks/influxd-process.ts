import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, until } from '@coldtrace/shared/testing';

export interface InfluxdProcess {
  url: string;
  dir: string;
  /** Starts (or restarts) influxd on the same ports and data dirs; resolves when /ping answers. */
  start(): Promise<void>;
  /** SIGKILL (an outage, not a clean shutdown) and wait for the exit. */
  kill(): Promise<void>;
  /** Kill and remove the temp dirs. */
  destroy(): Promise<void>;
}

/**
 * A real InfluxDB 1.x (`influxd` from Debian's `influxdb` package) on ephemeral ports with its own temp
 * dirs; the system one, if any, is untouched.
 */
export async function startInfluxd(): Promise<InfluxdProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-influxd-'));
  for (const d of ['meta', 'data', 'wal']) mkdirSync(join(dir, d));
  const httpPort = await freePort();
  const rpcPort = await freePort();
  const conf = join(dir, 'influxdb.conf');
  writeFileSync(
    conf,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${httpPort}"`,
      '  log-enabled = false',
      '[logging]',
      '  level = "warn"',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | undefined;
  let stderr = '';

  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };

  const start = async () => {
    await kill();
    stderr = '';
    const c = spawn('influxd', ['run', '-config', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    let spawnError: Error | undefined;
    c.once('error', (err) => {
      spawnError = err;
    });
    const up = await until(
      async () => {
        if (spawnError || c.exitCode !== null) return 'exited';
        return (
          (await fetch(`${url}/ping`).then(
            (r) => r.status === 204,
            () => false,
          )) && 'answering'
        );
      },
      'influxd answering /ping',
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    if (up === 'exited') throw spawnError ?? new Error(`influxd exited with ${c.exitCode}: ${stderr}`);
  };

  await start();
  return {
    url,
    dir,
    start,
    kill,
    async destroy() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
