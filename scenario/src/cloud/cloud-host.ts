import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Cloud } from '@coldtrace/cloud';
import { type Clock, ColdtraceError } from '@coldtrace/shared';
import type { Observed } from '../observe.js';
import type { CloudRequest } from './cloud-child.js';
import { type CloudCounts, type CloudStartInput, startScenarioCloud } from './scenario-cloud.js';

export type { CloudCounts, CloudStartInput } from './scenario-cloud.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'cloud-child.ts');
/** tsx's loader by absolute URL, so the child starts from any working directory. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

type Body<T extends CloudRequest['type']> = Omit<Extract<CloudRequest, { type: T }>, 'id'>;

/** The scenario's cloud as the runner drives it, in its own process or in this one. */
export interface CloudHost {
  readonly httpUrl: string;
  readonly mqttUrl: string;
  /** MQTT secret of each scenario gateway, issued by the cloud. */
  readonly secrets: Record<string, string>;
  /** The cloud itself when it runs in this process (the discrete-event clock watches its work). */
  readonly inProcess: Cloud | undefined;
  /** Sets the scaled clock's real anchor (a no-op in this process: the clock is shared). */
  begin(realAnchorMs: number): Promise<void>;
  /**
   * Stops the cloud's data clock where it stands and returns that time (in this process the runner's
   * discrete-event clock, which stands whenever the runner does not move it).
   */
  stopClock(): Promise<number>;
  counts(): Promise<CloudCounts>;
  gatewayStatus(id: string): Promise<{ status_json: string | null; online: number } | null>;
  /** Computes the derived state of everything received and reads the conclusions. */
  observe(): Promise<Observed>;
  close(): Promise<void>;
}

/** The cloud in this process on `clock` (the discrete-event clock shares it with everything else). */
export async function startInProcessCloud(input: CloudStartInput, clock: Clock): Promise<CloudHost> {
  const c = await startScenarioCloud(input, clock);
  return {
    httpUrl: c.httpUrl,
    mqttUrl: c.mqttUrl,
    secrets: c.secrets,
    inProcess: c.cloud,
    begin: async () => {},
    stopClock: async () => clock.now(),
    counts: () => c.counts(),
    gatewayStatus: (id) => c.gatewayStatus(id),
    observe: () => c.observe(),
    close: () => c.close(),
  };
}

/** The cloud in a child process (see `cloud-child.ts`), on the scaled clock anchored by `begin`. */
export async function startCloudHost(input: CloudStartInput): Promise<CloudHost> {
  const child: ChildProcess = fork(CHILD, [], {
    execArgv: ['--import', TSX],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code) => {
      exited = true;
      for (const w of waiting.values())
        w.reject(new ColdtraceError('scenario_cloud_exited', `the scenario cloud exited (code ${code})`));
      waiting.clear();
      resolve();
    });
  });
  child.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.value);
    else w.reject(new ColdtraceError('scenario_cloud_failed', m.error ?? 'cloud request failed'));
  });
  const request = <T extends CloudRequest['type']>(body: Body<T>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (exited)
        return reject(new ColdtraceError('scenario_cloud_exited', 'the scenario cloud is not running'));
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      child.send({ ...body, id });
    });
  let started: { httpUrl: string; mqttUrl: string; secrets: Record<string, string> };
  try {
    started = (await request<'start'>({ type: 'start', input })) as typeof started;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    ...started,
    inProcess: undefined,
    begin: async (realAnchorMs) => {
      await request<'begin'>({ type: 'begin', realAnchorMs });
    },
    stopClock: async () => (await request<'stop-clock'>({ type: 'stop-clock' })) as number,
    counts: async () => (await request<'counts'>({ type: 'counts' })) as CloudCounts,
    gatewayStatus: async (gatewayId) =>
      (await request<'gateway-status'>({ type: 'gateway-status', gatewayId })) as never,
    observe: async () => (await request<'observe'>({ type: 'observe' })) as Observed,
    async close() {
      if (exited) return;
      await request<'close'>({ type: 'close' }).catch(() => {});
      child.disconnect();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(t);
    },
  };
}
