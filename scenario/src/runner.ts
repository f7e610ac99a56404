import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColdtraceError, errorMessage } from '@coldtrace/shared';
import pino, { type Logger } from 'pino';
import { formatDuration } from './duration.js';
import type { LoadedScenario } from './load-scenario.js';
import type { Observed } from './observe.js';
import { roguePublish } from './rogue-publish.js';
import type { ScenarioEvent } from './scenario-schema.js';
import { buildWorld, type ScenarioWorld } from './scenario-world.js';
import { drain, skipped } from './settle.js';
import { resolveUnits } from './units.js';

export interface RunOptions {
  /** Keep the data directory (SQLite files, logs) after the run. */
  keep?: boolean;
  dataDir?: string | undefined;
  /** Override the scenario's time-scale. */
  scale?: number | undefined;
  httpPort?: number;
  mqttPort?: number;
  log?: Logger;
  /** Human-readable progress. */
  say?: (line: string) => void;
  /** Stops the timeline (and any hold) early. */
  signal?: AbortSignal | undefined;
  /** After the timeline: keep everything running for this much real time, or until `signal` when Infinity. */
  holdRealMs?: number;
  /** Real time the whole run may take before it is cut short (the demo's --duration). */
  realLimitMs?: number;
  /** Say the cloud store's counts (and new excursions) every few real seconds while running. */
  progress?: boolean;
  /** Called once the cloud is up (e.g. to print its URL). */
  onReady?: (info: { httpUrl: string; mqttUrl: string; dataDir: string }) => void;
  /** Real time the gateways may take to drain their buffers after the timeline (default 20 s). */
  drainTimeoutMs?: number | undefined;
}

export interface ScenarioRun {
  name: string;
  source: string;
  observed: Observed;
  /** Scenario time covered (ms). */
  simulatedMs: number;
  /** Real time the run took (ms), set-up and settling included. */
  wallMs: number;
  scale: number;
  httpUrl: string;
  mqttUrl: string;
  dataDir: string | null;
  gateways: Array<{ id: string; online: boolean; backlog: number | null }>;
  /** Events the runner could not carry out (with why). */
  eventErrors: string[];
  /** Gateways whose buffers did not reach the cloud in time (with why); empty when all drained. */
  drainErrors: string[];
  /**
   * Everything that makes the run itself unreliable as evidence, as readable lines: events not carried
   * out and gateways not drained. `--check` fails on any of them.
   */
  problems: string[];
  /**
   * Clock ticks in which an in-process gateway polled a sensor not once (its event loop was starved for
   * longer than a tick less a poll interval): no reading carries that tick's stamp. The one source of
   * run-to-run differences left (docs/scenarios.md "Determinism").
   */
  skippedTicks: Array<{ sensorId: string; atMs: number }>;
}

/** Real ms before the scenario starts, for set-up to settle and child gateways to boot. */
const LEAD_MS = 300;
const CHILD_LEAD_MS = 6000;
/** Real time a move waits for a gateway to be reading its portal (a reconnect, a restarted gateway). */
const MOVE_READER_WAIT_REAL_MS = 5000;
const DEFAULT_DRAIN_TIMEOUT_MS = 20_000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Fault and stock actions in time order (temperature and sensor faults are functions of time, not actions). */
function actions(e: ScenarioEvent): Array<{ atMs: number; what: string; kind: string; e: ScenarioEvent }> {
  if ('move' in e)
    return [
      {
        atMs: e.at,
        kind: 'move',
        what: `move ${e.move.units} ${e.move.direction} through ${e.move.portal}`,
        e,
      },
    ];
  if ('uplinkLoss' in e)
    return [
      { atMs: e.at, kind: 'uplink-cut', what: `${e.uplinkLoss.gateway}: uplink lost`, e },
      {
        atMs: e.at + e.uplinkLoss.duration,
        kind: 'uplink-back',
        what: `${e.uplinkLoss.gateway}: uplink back`,
        e,
      },
    ];
  if ('powerLoss' in e)
    return [
      { atMs: e.at, kind: 'power-off', what: `${e.powerLoss.gateway}: power lost (SIGKILL)`, e },
      {
        atMs: e.at + e.powerLoss.restartAfter,
        kind: 'power-on',
        what: `${e.powerLoss.gateway}: power back (restart)`,
        e,
      },
    ];
  if ('readerDisconnect' in e)
    return [
      { atMs: e.at, kind: 'reader-drop', what: `${e.readerDisconnect.portal}: reader connection dropped`, e },
    ];
  if ('roguePublish' in e)
    return [
      {
        atMs: e.at,
        kind: 'rogue',
        what: `${e.roguePublish.gateway}: rogue publish (${e.roguePublish.payload}, ${e.roguePublish.count}×)`,
        e,
      },
    ];
  if ('temperature' in e)
    return [
      {
        atMs: e.at,
        kind: 'note',
        what: `${e.temperature.location}: temperature ${e.temperature.profile.kind}`,
        e,
      },
    ];
  if ('sensorFault' in e)
    return [
      {
        atMs: e.at,
        kind: 'note',
        what: `${e.sensorFault.sensor}: sensor fault ${e.sensorFault.fault} for ${formatDuration(e.sensorFault.duration)}`,
        e,
      },
    ];
  return [];
}

/**
 * Runs a scenario: builds the world on the scenario clock, plays the timeline (stock moves through the
 * LLRP simulators, uplink cuts on the proxies, SIGKILL/restart of child gateways, reader drops),
 * settles (uplinks back, buffers drained, gateways stopped, derived state flushed) and reads back the
 * cloud's conclusions.
 */
export async function runScenario(loaded: LoadedScenario, opts: RunOptions = {}): Promise<ScenarioRun> {
  const s = loaded.scenario;
  const realStart = Date.now();
  const realDeadline = realStart + (opts.realLimitMs ?? Number.POSITIVE_INFINITY);
  const scale = opts.scale ?? s.clock.scale;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'coldtrace-scenario-'));
  const log =
    opts.log ??
    pino(
      { level: 'info' },
      pino.destination({ dest: join(dataDir, 'scenario.log'), mkdir: true, sync: false }),
    );
  const say = opts.say ?? (() => {});
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) abort.abort();
  const limitTimer = Number.isFinite(realDeadline)
    ? setTimeout(onAbort, realDeadline - realStart)
    : undefined;
  let world: ScenarioWorld | undefined;
  const eventErrors: string[] = [];
  try {
    world = await buildWorld(s, {
      dataDir,
      log,
      scale,
      httpPort: opts.httpPort ?? 0,
      mqttPort: opts.mqttPort ?? 0,
    });
    const w = world;
    opts.onReady?.({ httpUrl: w.cloud.httpUrl, mqttUrl: w.cloud.mqttUrl, dataDir });
    const hasChild =
      s.gateways.some((g) => g.process === 'child') || s.timeline.some((e) => 'powerLoss' in e);
    // Readers up before the story starts (their timeouts are in scenario ms): those of in-process
    // gateways now, those of child gateways once begin() has started them (within the lead time).
    const readersOf = (child: boolean) =>
      [...w.gateways.values()]
        .filter((g) => (g.inProcess === undefined) === child)
        .flatMap((g) => g.spec.portals.map((p) => w.readers.get(p.id)!));
    await Promise.all(readersOf(false).map((r) => r.waitActive(15_000 * scale)));
    const anchor = await w.begin(hasChild ? CHILD_LEAD_MS : LEAD_MS);
    await Promise.all(readersOf(true).map((r) => r.waitActive(30_000 * scale)));
    if (Date.now() > anchor)
      log.warn({ lateMs: Date.now() - anchor }, 'child gateways were not ready by the scenario start');
    say(`scenario ${s.name}: ${formatDuration(s.duration)} at ×${scale} from ${s.start}`);
    // A stalled event loop skips clock ticks (no polls in them): logged, as it explains odd gaps.
    const tickRealMs = s.clock.tick / scale;
    let lastBeat = Date.now();
    const lagTimer = setInterval(() => {
      const n = Date.now();
      if (n - lastBeat > 2 * tickRealMs)
        log.warn(
          { stalledMs: n - lastBeat, at: formatDuration(w.clock.now() - w.startMs) },
          'runner event loop stalled: clock ticks without polls',
        );
      lastBeat = n;
    }, 5);
    let lastLine = '';
    const seen = new Set<string>();
    const progressTimer = opts.progress
      ? setInterval(() => {
          w.cloud
            .counts()
            .then(({ counts: c, excursions }) => {
              const line = `cloud store: ${c.readings} readings, ${c.movements} movements, ${c.alarms} alarms, ${c.excursions} excursions, ${c.deadLetters} dead letters`;
              if (line !== lastLine) say(line);
              lastLine = line;
              for (const e of excursions) {
                if (seen.has(e.id)) continue;
                seen.add(e.id);
                say(
                  `EXCURSION at ${e.location_id}: from ${new Date(e.start_ts).toISOString()}, peak ${e.peak_c.toFixed(1)} °C${e.critical ? ' (critical)' : ''}`,
                );
              }
            })
            .catch(() => {});
        }, 2000)
      : undefined;
    const realAt = (atMs: number) => anchor + (atMs + s.clock.tick / 2) / scale;

    const plan = s.timeline.flatMap(actions).sort((a, b) => a.atMs - b.atMs);
    const inFlight: Promise<void>[] = [];
    for (const a of plan) {
      await sleep(realAt(a.atMs) - Date.now(), abort.signal);
      if (abort.signal.aborted) break;
      say(`  +${formatDuration(a.atMs)}  ${a.what}`);
      const p = perform(w, s, a).catch((err) => {
        eventErrors.push(`${a.what} at +${formatDuration(a.atMs)}: ${errorMessage(err)}`);
        log.warn({ err: errorMessage(err), event: a.what }, 'scenario event failed');
      });
      inFlight.push(p);
    }
    await sleep(realAt(s.duration) - Date.now(), abort.signal);
    if (opts.holdRealMs)
      await sleep(opts.holdRealMs === Number.POSITIVE_INFINITY ? 2 ** 31 - 1 : opts.holdRealMs, abort.signal);
    await Promise.all(inFlight);
    clearInterval(lagTimer);
    clearInterval(progressTimer);
    const simulatedMs = Math.min(s.duration, w.clock.now() - w.startMs);
    const skippedTicks = skipped(w, s.clock.tick, simulatedMs);
    if (skippedTicks.length)
      log.warn({ skippedTicks: skippedTicks.slice(0, 50) }, 'ticks without any poll of a sensor');

    // Settle: uplinks and power back, buffers drained into the cloud, gateways stopped.
    say('settling: uplinks back, buffers drained, derived state computed');
    for (const g of w.gateways.values()) {
      g.proxy.restore();
      if (g.child && !g.child.running) g.child.start();
      // The scenario is over: no new records, so the buffer can drain to empty.
      for (const m of g.inProcess?.modules ?? [])
        if (m.name !== 'local-alarms') await m.stop().catch(() => {});
    }
    const drained = await drain(w, log, opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
    for (const g of w.gateways.values()) {
      await g.inProcess?.stop();
      await g.child?.stop();
    }
    const observed = await w.cloud.observe();
    return {
      name: s.name,
      source: loaded.source,
      observed,
      simulatedMs,
      wallMs: Date.now() - realStart,
      scale,
      httpUrl: w.cloud.httpUrl,
      mqttUrl: w.cloud.mqttUrl,
      dataDir: opts.keep || opts.dataDir ? dataDir : null,
      gateways: drained.view,
      eventErrors,
      drainErrors: drained.errors,
      skippedTicks,
      problems: [...eventErrors.map((e) => `event not carried out: ${e}`), ...drained.errors],
    };
  } finally {
    clearTimeout(limitTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    await world?.close();
    log.flush?.();
    if (!opts.keep && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function perform(
  w: ScenarioWorld,
  s: LoadedScenario['scenario'],
  a: ReturnType<typeof actions>[number],
): Promise<void> {
  const e = a.e;
  if ('move' in e) {
    const epcs = resolveUnits(s, e.move.units);
    const reader = w.readers.get(e.move.portal)!;
    // Nobody could see a move through a portal no gateway is reading (powered off, not reconnected).
    try {
      await reader.waitActive(MOVE_READER_WAIT_REAL_MS * w.clockParams.scale);
    } catch {
      throw new ColdtraceError(
        'scenario_event_failed',
        `no gateway was reading portal ${e.move.portal} (no ROSpec active within ${MOVE_READER_WAIT_REAL_MS / 1000} s real time)`,
      );
    }
    const dropped = reader.stats.readsDropped;
    await w.atReaderTime(e.move.portal, w.startMs + a.atMs, (r) =>
      r.pass(
        epcs.map((epc) => ({ epc, direction: e.move.direction })),
        { durationMs: e.move.duration },
      ),
    );
    if (reader.stats.readsDropped > dropped)
      throw new ColdtraceError(
        'scenario_event_failed',
        `${reader.stats.readsDropped - dropped} tag read(s) through portal ${e.move.portal} were lost: its reader's ROSpec stopped during the move`,
      );
  } else if ('uplinkLoss' in e) {
    const g = w.gateways.get(e.uplinkLoss.gateway)!;
    if (a.kind === 'uplink-cut') g.proxy.cut();
    else g.proxy.restore();
  } else if ('powerLoss' in e) {
    const g = w.gateways.get(e.powerLoss.gateway)!;
    if (a.kind === 'power-off') await g.child?.kill();
    else g.child?.start();
  } else if ('readerDisconnect' in e) {
    w.readers.get(e.readerDisconnect.portal)!.inject.drop();
  } else if ('roguePublish' in e) {
    await roguePublish({
      mqttUrl: w.cloud.mqttUrl,
      gatewayId: e.roguePublish.gateway,
      secret: w.cloud.secrets[e.roguePublish.gateway]!,
      otherGatewayId: s.gateways.find((g) => g.id !== e.roguePublish.gateway)?.id,
      payload: e.roguePublish.payload,
      count: e.roguePublish.count,
      at: w.clock.now(),
    });
  }
}
