/**
 * Real processes for the fault tests: the cloud (`coldtrace cloud`), gateway registration
 * (`coldtrace gateway add`) and a gateway (`coldtrace edge`, through the scenario runner's
 * `gatewayProcess`). Every child started here is tracked so `killAll()` can clean up after a failure.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayConfigInput } from '@coldtrace/edge';
import { type GatewayProcess, gatewayProcess } from '@coldtrace/scenario';
import type { Stream } from '@coldtrace/shared';
import { stringify as toYaml } from 'yaml';

export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/coldtrace.mjs');

const live = new Set<ChildProcess>();
const gateways = new Set<GatewayProcess>();

/** SIGKILLs every child this module started that is still running (afterAll, also after a failure). */
export async function killAll(): Promise<void> {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
  for (const g of gateways) await g.kill();
  gateways.clear();
}

/** `coldtrace gateway add ID --database URL`; returns the secret it printed. */
export function addGateway(database: string, id: string): string {
  const r = spawnSync(process.execPath, [BIN, 'gateway', 'add', id, '--database', database], {
    encoding: 'utf8',
  });
  const m = /MQTT password: (\S+)/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`gateway add failed (${r.status}): ${r.stderr}${r.stdout}`);
  return m[1]!;
}

export interface CloudProcess {
  readonly httpUrl: string;
  readonly running: boolean;
  /** Starts `coldtrace cloud` and resolves once it printed its URLs. */
  start(): Promise<void>;
  /** SIGKILL: nothing flushed, nothing closed. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** One sample of the cloud's `/metrics` (0 when absent). */
  metric(name: string, labels: Record<string, string>): Promise<number>;
}

/**
 * The cloud as `coldtrace cloud --database sqlite:F --http-port N [--mqtt-port N | --config F]`, on
 * fixed ports so gateways reconnect to the same address after a restart.
 */
export function cloudProcess(opts: {
  dir: string;
  dbPath: string;
  httpPort: number;
  /** Embedded aedes on this port; omit when `config` sets an external broker. */
  mqttPort?: number;
  config?: Record<string, unknown>;
}): CloudProcess {
  const logFile = join(opts.dir, 'cloud.out.log');
  const args = [BIN, 'cloud', '--database', `sqlite:${opts.dbPath}`, '--http-port', String(opts.httpPort)];
  if (opts.mqttPort !== undefined) args.push('--mqtt-port', String(opts.mqttPort));
  if (opts.config) {
    const file = join(opts.dir, 'cloud.yaml');
    writeFileSync(file, toYaml(opts.config));
    args.push('--config', file);
  }
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const httpUrl = `http://127.0.0.1:${opts.httpPort}`;
  const signal = async (sig: NodeJS.Signals) => {
    const c = child;
    if (!c) return;
    c.kill(sig);
    // Kill safety timer: a cloud that ignores SIGTERM must not outlive the test.
    const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  };
  return {
    httpUrl,
    get running() {
      return child !== undefined;
    },
    async start() {
      if (child) throw new Error('cloud already running');
      const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      live.add(c);
      exited = new Promise<void>((res) =>
        c.once('exit', () => {
          live.delete(c);
          if (child === c) child = undefined;
          res();
        }),
      );
      let out = '';
      await new Promise<void>((res, rej) => {
        const onData = (d: Buffer) => {
          appendFileSync(logFile, d);
          out += d.toString();
          if (out.includes('coldtrace cloud: API')) res();
        };
        c.stdout!.on('data', onData);
        c.stderr!.on('data', (d: Buffer) => appendFileSync(logFile, d));
        c.once('exit', (code) => rej(new Error(`cloud exited (${code}) before it started; see ${logFile}`)));
      });
    },
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
    async metric(name, labels) {
      const text = await (await fetch(`${httpUrl}/metrics`)).text();
      const want = Object.entries(labels);
      let sum = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(`${name}{`)) continue;
        if (want.every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').at(-1));
      }
      return sum;
    },
  };
}

export interface GatewayHandle extends GatewayProcess {
  readonly httpPort: number;
  readonly bufferPath: string;
  /** The gateway's `/healthz` body (its status: backlog, lastSeq, …). */
  health(): Promise<{
    status: string;
    gateway: {
      backlog?: {
        records: number;
        bytes: number;
        thinned?: number;
        refused?: number;
        lastSeq?: Partial<Record<Stream, number>>;
      };
      sensors?: Array<{ sensorId: string; lastReadingTs?: number }>;
    };
  }>;
  /** A gateway metric sample (0 when absent). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

/** `coldtrace edge --config <dir>/<id>.config.json` (YAML parser, JSON file) in its own process. */
export function gateway(
  config: GatewayConfigInput & { dataDir: string; http: { port: number } },
  dir: string,
): GatewayHandle {
  const g = gatewayProcess({ id: config.gatewayId, config, dir, env: {} });
  gateways.add(g);
  const base = `http://127.0.0.1:${config.http.port}`;
  return Object.assign(g, {
    httpPort: config.http.port,
    bufferPath: join(config.dataDir, 'buffer.db'),
    async health() {
      return (await (await fetch(`${base}/healthz`)).json()) as Awaited<ReturnType<GatewayHandle['health']>>;
    },
    async metric(name: string, labels: Record<string, string> = {}) {
      const text = await (await fetch(`${base}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(name)) continue;
        const rest = line.slice(name.length);
        if (!(rest.startsWith('{') || rest.startsWith(' '))) continue;
        if (Object.entries(labels).every(([k, v]) => rest.includes(`${k}="${v}"`)))
          sum += Number(line.split(' ').at(-1));
      }
      return sum;
    },
  });
}
