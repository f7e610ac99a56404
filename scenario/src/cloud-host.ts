import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ColdtraceError } from '@coldtrace/shared';
import type { CloudRequest, CloudStartInput } from './cloud-child.js';
import type { Observed } from './observe.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'cloud-child.ts');
/** tsx's loader by absolute URL, so the child starts from any working directory. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

type Body<T extends CloudRequest['type']> = Omit<Extract<CloudRequest, { type: T }>, 'id'>;

export interface CloudCounts {
  counts: Observed['counts'];
  excursions: Array<{
    id: string;
    location_id: string;
    start_ts: number;
    end_ts: number | null;
    peak_c: number;
    critical: number;
  }>;
}

/** The scenario's cloud, run in its own process (see `cloud-child.ts`). */
export interface CloudHost {
  readonly httpUrl: string;
  readonly mqttUrl: string;
  /** MQTT secret of each scenario gateway, issued by the cloud. */
  readonly secrets: Record<string, string>;
  begin(realAnchorMs: number): Promise<void>;
  counts(): Promise<CloudCounts>;
  gatewayStatus(id: string): Promise<{ status_json: string | null; online: number } | null>;
  /** Computes the derived state of everything received and reads the conclusions. */
  observe(): Promise<Observed>;
  close(): Promise<void>;
}

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
    begin: async (realAnchorMs) => {
      await request<'begin'>({ type: 'begin', realAnchorMs });
    },
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
