import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { until } from '@coldtrace/shared/testing';
import { stringify as toYaml } from 'yaml';

const BIN = resolve(import.meta.dirname, '../../../bin/coldtrace.mjs');

/**
 * `coldtrace cloud --config F` in a child process, as an operator runs it on each cloud machine; its output
 * goes to `<dir>/<name>.log`. Its `config` must fix `http.port` (the test knows the URL before it starts).
 */
export class CloudCliProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly httpUrl: string;
  private readonly configFile: string;
  private readonly logFile: string;

  constructor(
    readonly name: string,
    dir: string,
    config: { http: { host: string; port: number } } & Record<string, unknown>,
    /** Node's own options (e.g. `--cpu-prof`, which NODE_OPTIONS does not take). */
    private readonly nodeOptions: string[] = [],
  ) {
    this.httpUrl = `http://127.0.0.1:${config.http.port}`;
    this.configFile = join(dir, `${name}.yaml`);
    this.logFile = join(dir, `${name}.log`);
    writeFileSync(this.configFile, toYaml(config));
  }

  /** Starts it; resolves once it printed its URLs. */
  async start(): Promise<void> {
    const c = spawn(process.execPath, [...this.nodeOptions, BIN, 'cloud', '--config', this.configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = c;
    this.exited = new Promise((r) => c.once('exit', () => r()));
    let out = '';
    c.stdout!.on('data', (d: Buffer) => {
      appendFileSync(this.logFile, d);
      out += d.toString();
    });
    c.stderr!.on('data', (d: Buffer) => appendFileSync(this.logFile, d));
    await until(
      () => {
        if (c.exitCode !== null) throw new Error(`${this.name} exited (${c.exitCode}); see ${this.logFile}`);
        return out.includes('coldtrace cloud: API');
      },
      `${this.name} started`,
      { timeoutMs: 120_000, intervalMs: 50 },
    );
  }

  /** Its process id while it runs (CPU accounting from /proc, signals). */
  get pid(): number | undefined {
    return this.alive ? this.child!.pid : undefined;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: nothing flushed, nothing acknowledged, nothing closed. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (SIGKILL after 15 s), and wait for the exit. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const c = this.child!;
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(t);
  }

  /** `GET /readyz`: its status code and body. */
  async ready(): Promise<{ status: number; body: string }> {
    const res = await fetch(`${this.httpUrl}/readyz`);
    return { status: res.status, body: await res.text() };
  }

  /** The sum of a counter's samples in `/metrics` (0 when absent). */
  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${this.httpUrl}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  }
}
