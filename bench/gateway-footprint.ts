/**
 * The gateway's footprint, part of `npm run bench -- buffer` (`--only=footprint` runs it alone): a real
 * gateway run as `coldtrace edge --config F` (bin/coldtrace.mjs) in a child process, started as the
 * systemd unit starts it (its node flags and Environment=) and configured like
 * deploy/examples/edge-warehouse.yaml (a YAML file, the health and metrics endpoint served, logging at
 * info), its drivers running (an LLRP reader simulator with a started ROSpec, a Modbus simulator with
 * four XY-MD02 sensors polled every second over a pty), publishing into the cloud (`startCloud`:
 * embedded aedes + SQLite) in the bench process.
 *  - gateway_start_to_first_publish: from spawn until the embedded broker receives the gateway's first
 *    PUBLISH (its first reading's, too, is printed);
 *  - gateway_rss_idle: its RSS once running, the largest of the samples (every 250 ms) over IDLE_MS
 *    after the reader's ROSpec started and every sensor was read;
 *  - gateway_rss_replaying: its peak RSS (VmHWM) from a start with a 1,000,000-reading backlog in its
 *    buffer until the cloud has stored all of it (drivers running meanwhile), and that replay's time.
 * Each is measured for the compiled runtime (edge/dist, `npm run build`; built here first when absent or
 * older than the sources) and, in the same run as the reference, for the same gateway under tsx
 * (COLDTRACE_EDGE_RUNTIME=tsx); both children run with the node flags and environment of the systemd unit.
 * RSS is read from /proc/<pid>/status. The machine's load (os.loadavg) is printed with each figure.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { registerGateway, startCloud } from '@coldtrace/cloud';
import type { GatewayConfigInput } from '@coldtrace/edge';
import { startLlrpSimulator, startModbusSimulator } from '@coldtrace/firmware-sim';
import pino from 'pino';
import { stringify as toYaml } from 'yaml';
import { edgeRuntime } from '../bin/edge-runtime.mjs';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/coldtrace.mjs');
const IDLE_MS = 10_000;
/**
 * How the systemd unit starts the gateway (deploy/systemd/coldtrace-edge@.service): the node flags of
 * ExecStart (what comes between the node binary and the script) and the Environment= variables, so that
 * the figures are the deployed gateway's. Both runtimes run with them (COLDTRACE_EDGE_RUNTIME aside).
 */
const UNIT = (() => {
  const unit = readFileSync(join(ROOT, 'deploy/systemd/coldtrace-edge@.service'), 'utf8');
  const exec = /^ExecStart=\S*node((?:\s+--\S+)*)\s+\S*bin\/coldtrace\.mjs edge /m.exec(unit);
  if (!exec)
    throw new Error('gateway footprint: no ExecStart=…node … bin/coldtrace.mjs edge in the systemd unit');
  const env = Object.fromEntries(
    [...unit.matchAll(/^Environment=(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.trim()]),
  );
  return { nodeFlags: exec[1]!.trim().split(/\s+/).filter(Boolean), env };
})();
const GOALS = { idleMb: 70, replayingMb: 110, firstPublishS: 1.5 };
const RUNTIMES = ['compiled', 'tsx'] as const;
type Runtime = (typeof RUNTIMES)[number];

/** Where the run is, on stderr (the figures go to stdout). */
const progress = (msg: string) =>
  process.stderr.write(`[gateway footprint ${new Date().toISOString()}] ${msg}\n`);
const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;
const load = () => loadavg().map((l) => Math.round(l * 100) / 100);

/** VmRSS and VmHWM (peak) of a process, kB. */
function memoryOf(pid: number): { rssKb: number; hwmKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

/** Polls `probe`; `alive` throws when the gateway has exited meanwhile. */
async function waitFor(
  probe: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  alive: () => void = () => {},
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    alive();
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`gateway footprint: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The compiled gateway as of the current sources: built now unless it is. */
function ensureCompiled(out: (o: Record<string, unknown>) => void) {
  const choice = edgeRuntime(ROOT, {});
  if (choice.runtime === 'compiled') return;
  const t = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/build-edge.mjs')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gateway footprint: npm run build failed:\n${r.stdout}${r.stderr}`);
  out({
    metric: 'gateway_build',
    value: Math.round(performance.now() - t) / 1000,
    unit: 's',
    why: choice.why,
  });
}

export async function measureGatewayFootprint(opts: {
  /** A buffer holding the backlog (closed, checkpointed); copied, not consumed. */
  backlogPath: string;
  backlog: number;
  dir: string;
  out: (o: Record<string, unknown>) => void;
}): Promise<void> {
  const { out, dir } = opts;
  ensureCompiled(out);
  const cloud = await startCloud(
    {
      database: `sqlite:${join(dir, 'footprint-cloud.db')}`,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
      logLevel: 'error',
    },
    { log: pino({ level: 'error' }) },
  );
  const reader = await startLlrpSimulator({ host: '127.0.0.1', port: 0 });
  const sensors = [1, 2, 3, 4].map((address) => ({
    address,
    profile: { kind: 'steady' as const, tempC: 4 + address / 10, rh: 50 },
  }));
  const modbus = await startModbusSimulator({ sensors });
  /** Time of the first PUBLISH (any topic, and a readings batch) per MQTT client id. */
  const firstPublish = new Map<string, { any: number; readings?: number }>();
  cloud.broker!.aedes.on('publish', (packet, client) => {
    if (!client) return;
    const seen = firstPublish.get(client.id) ?? { any: performance.now() };
    if (seen.readings === undefined && packet.topic.endsWith('/readings')) seen.readings = performance.now();
    firstPublish.set(client.id, seen);
  });

  async function gateway(id: string, runtime: Runtime, dataDir: string) {
    const password = await registerGateway(cloud.store, { id, now: Date.now() });
    const config: GatewayConfigInput = {
      gatewayId: id,
      dataDir,
      mqtt: { url: cloud.mqttUrl!, password, clientId: id },
      buffer: { maxBytes: 4 * 1024 ** 3, synchronous: 'FULL' },
      locations: [
        {
          id: 'room-1',
          limits: { minC: 2, maxC: 8, alarmDelayMs: 900_000, criticalMarginC: 2, maxGapMs: 600_000 },
        },
        {
          id: 'dock-1',
          limits: { minC: 2, maxC: 25, alarmDelayMs: 1_800_000, criticalMarginC: 5, maxGapMs: 900_000 },
        },
      ],
      portals: [
        {
          id: 'door-1',
          reader: { host: '127.0.0.1', port: reader.port },
          outside: { locationId: 'dock-1', antennas: [1] },
          inside: { locationId: 'room-1', antennas: [2] },
        },
      ],
      modbus: [
        {
          id: 'bus-1',
          path: modbus.devicePath,
          sensors: sensors.map((s) => ({
            id: `${id}-t${s.address}`,
            address: s.address,
            locationId: 'room-1',
            pollMs: 1000,
          })),
        },
      ],
      // As deploy/examples/edge-warehouse.yaml: the health and metrics endpoint served, logging at info.
      http: { host: '127.0.0.1', port: 0 },
      logLevel: 'info',
    };
    // A YAML file, as the systemd unit's /etc/coldtrace/edge-%i.yaml.
    const file = join(dir, `${id}.yaml`);
    writeFileSync(file, toYaml(config));
    const t0 = performance.now();
    const child: ChildProcess = spawn(process.execPath, [...UNIT.nodeFlags, BIN, 'edge', '--config', file], {
      env: { ...process.env, ...UNIT.env, COLDTRACE_EDGE_RUNTIME: runtime },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const alive = () => {
      if (child.exitCode !== null) throw new Error(`gateway ${id} exited ${child.exitCode}: ${stderr}`);
    };
    let peakRssKb = 0;
    const sampler = setInterval(() => {
      try {
        peakRssKb = Math.max(peakRssKb, memoryOf(child.pid!).rssKb);
      } catch {
        // exited between samples
      }
    }, 250);
    return {
      t0,
      alive,
      memory: () => memoryOf(child.pid!),
      peakRssKb: () => peakRssKb,
      resetPeak: () => {
        peakRssKb = 0;
      },
      async stop() {
        clearInterval(sampler);
        child.kill('SIGTERM');
        const code = await exited;
        if (code !== 0) throw new Error(`gateway ${id} stopped with exit ${code}: ${stderr}`);
      },
    };
  }

  const results: Record<Runtime, Record<string, number>> = { compiled: {}, tsx: {} };
  try {
    for (const runtime of RUNTIMES) {
      // Idle: a fresh gateway, drivers running.
      const idleId = `gw-idle-${runtime}`;
      const idleDir = join(dir, idleId);
      progress(`${runtime}: idle gateway starting`);
      const before = modbus.stats.answered;
      const g = await gateway(idleId, runtime, idleDir);
      await waitFor(() => firstPublish.has(idleId), 'the first publish', 60_000, g.alive);
      await waitFor(
        () => firstPublish.get(idleId)!.readings !== undefined,
        'the first readings',
        60_000,
        g.alive,
      );
      await reader.waitActive(30_000);
      await waitFor(() => modbus.stats.answered >= before + sensors.length, 'every sensor read', 30_000);
      progress(`${runtime}: published, reader and sensors running; sampling RSS for ${IDLE_MS / 1000} s`);
      const first = firstPublish.get(idleId)!;
      g.resetPeak();
      await new Promise((r) => setTimeout(r, IDLE_MS));
      g.alive();
      results[runtime].firstPublishS = (first.any - g.t0) / 1000;
      results[runtime].firstReadingsS = (first.readings! - g.t0) / 1000;
      results[runtime].idleKb = g.peakRssKb();
      results[runtime].idleLoad = load()[0]!;
      await g.stop();

      // Replaying: another gateway (its own sequence numbers), started with the backlog in its buffer.
      const replayId = `gw-replay-${runtime}`;
      const replayDir = join(dir, replayId);
      mkdirSync(replayDir, { recursive: true });
      copyFileSync(opts.backlogPath, join(replayDir, 'buffer.db'));
      const stored0 = (await cloud.store.counts()).readings;
      progress(`${runtime}: replaying gateway starting with ${opts.backlog} readings buffered`);
      const r = await gateway(replayId, runtime, replayDir);
      await waitFor(
        async () => (await cloud.store.counts()).readings >= stored0 + opts.backlog,
        'the backlog stored in the cloud',
        Math.max(120_000, opts.backlog / 2),
        r.alive,
      );
      results[runtime].replayS = (performance.now() - r.t0) / 1000;
      progress(`${runtime}: backlog stored in ${results[runtime].replayS!.toFixed(1)} s`);
      results[runtime].replayingKb = Math.max(r.memory().hwmKb, r.peakRssKb());
      results[runtime].replayLoad = load()[0]!;
      await r.stop();
    }
  } finally {
    await modbus.close();
    await reader.close();
    await cloud.close();
  }

  const c = results.compiled;
  const x = results.tsx;
  const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
  const common = {
    runtime: 'compiled (edge/dist)',
    reference: 'tsx',
    nodeFlags: UNIT.nodeFlags.join(' '),
    unitEnv: Object.entries(UNIT.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  };
  out({
    metric: 'gateway_start_to_first_publish',
    value: Math.round(c.firstPublishS! * 1000) / 1000,
    unit: 's',
    goal: GOALS.firstPublishS,
    firstReadingsS: Math.round(c.firstReadingsS! * 1000) / 1000,
    referenceValue: Math.round(x.firstPublishS! * 1000) / 1000,
    ratio: ratio(c.firstPublishS!, x.firstPublishS!),
    ...common,
    machineLoad1m: c.idleLoad,
  });
  out({
    metric: 'gateway_rss_idle',
    value: mb(c.idleKb!),
    unit: 'MB',
    goal: GOALS.idleMb,
    referenceValue: mb(x.idleKb!),
    ratio: ratio(c.idleKb!, x.idleKb!),
    note: `largest RSS sample over ${IDLE_MS / 1000} s: reader ROSpec running, 4 sensors polled every 1 s`,
    ...common,
    machineLoad1m: c.idleLoad,
  });
  out({
    metric: 'gateway_rss_replaying',
    value: mb(c.replayingKb!),
    unit: 'MB',
    goal: GOALS.replayingMb,
    backlog: opts.backlog,
    replaySeconds: Math.round(c.replayS! * 10) / 10,
    referenceValue: mb(x.replayingKb!),
    referenceReplaySeconds: Math.round(x.replayS! * 10) / 10,
    ratio: ratio(c.replayingKb!, x.replayingKb!),
    note: 'peak RSS (VmHWM) from start with the backlog until the cloud stored all of it, drivers running',
    ...common,
    machineLoad1m: c.replayLoad,
  });
  out({ metric: 'machine_load', value: load()[0], unit: 'loadavg 1m', loadavg: load() });
}
