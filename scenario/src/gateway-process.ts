import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayConfigInput } from '@coldtrace/edge';
import { ColdtraceError } from '@coldtrace/shared';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/coldtrace.mjs');

export interface GatewayProcess {
  readonly id: string;
  readonly running: boolean;
  /** Power loss: SIGKILL, nothing flushed; the buffer on disk survives. */
  kill(): Promise<void>;
  /** Power back: the same config and data dir. */
  start(): void;
  /** Orderly stop (SIGTERM), waiting for the process to exit. */
  stop(): Promise<void>;
}

/**
 * A gateway run as `coldtrace edge --config F` in its own process, on the scenario clock passed in
 * its environment (`COLDTRACE_CLOCK_*`, read by `edge/src/cli.ts`).
 */
export function gatewayProcess(opts: {
  id: string;
  config: GatewayConfigInput;
  dir: string;
  env: Record<string, string>;
}): GatewayProcess {
  const configFile = join(opts.dir, `${opts.id}.config.json`);
  writeFileSync(configFile, JSON.stringify(opts.config, null, 2));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const startOne = () => {
    if (child) throw new ColdtraceError('scenario_gateway_running', `gateway ${opts.id} is already running`);
    const out = openSync(join(opts.dir, `${opts.id}.out.log`), 'a');
    const c = spawn(process.execPath, [BIN, 'edge', '--config', configFile], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    child = c;
    exited = new Promise<void>((res) => {
      c.once('exit', () => {
        if (child === c) child = undefined;
        res();
      });
    });
  };
  const signal = async (sig: NodeJS.Signals, graceMs: number) => {
    const c = child;
    if (!c) return;
    c.kill(sig);
    const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    id: opts.id,
    get running() {
      return child !== undefined;
    },
    kill: () => signal('SIGKILL', 5000),
    start: startOne,
    stop: () => signal('SIGTERM', 10_000),
  };
}
