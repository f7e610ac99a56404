import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { LoadedScenario } from './load-scenario.js';
import type { Observed } from './observe.js';
import { holdReal, type PlayContext, playScaled } from './play-scaled.js';
import { playVirtual } from './play-virtual.js';
import { buildWorld, type ClockMode, childGatewayIds, type ScenarioWorld } from './scenario-world.js';

export type { ClockMode } from './scenario-world.js';

export interface RunOptions {
  /**
   * `scaled` (default): scenario time follows the wall clock at the scenario's time-scale, for a person
   * watching (the demo, the CLI, the benchmark). `virtual`: the discrete-event clock, which moves from
   * event to event whenever the world is at rest: a run takes as long as its computation and gives the
   * same result on any machine. Needs every gateway in this process; a scenario with child-process
   * gateways (`process: child`, `powerLoss`) is played on the scaled clock (`ScenarioRun.clockNote`).
   */
  clock?: ClockMode | undefined;
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
  /**
   * After the journey (timeline played, site settled and shut down, the data clock stopped at the
   * journey's end): keep the cloud serving for this much real time, or until `signal` when Infinity.
   */
  holdRealMs?: number;
  /** Real time the whole run may take before it is cut short (the demo's --duration). */
  realLimitMs?: number;
  /** Say the cloud store's counts (and new excursions) every few real seconds while running. */
  progress?: boolean;
  /** Called once the cloud is up (e.g. to print its URL). */
  onReady?: (info: { httpUrl: string; mqttUrl: string; dataDir: string }) => void;
  /**
   * With `holdRealMs`: called (and awaited) once the journey is over and its derived state computed,
   * before the hold; `dataClockStoppedAt` is where the data clock stands from then on.
   */
  onJourneyDone?: (info: { httpUrl: string; dataClockStoppedAt: number }) => void | Promise<void>;
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
  /** The clock the run was played on. */
  clock: ClockMode;
  /** Why the run was not played on the clock asked for, if it was not. */
  clockNote: string | undefined;
  /** Discrete-event clock: the instants time was moved to (timers and actions); undefined when scaled. */
  steps: number | undefined;
  /** Where the data clock was stopped after the journey (held runs only), else null. */
  dataClockStoppedAt: number | null;
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
   * Scaled clock only (always empty on the discrete-event clock): clock ticks in which an in-process
   * gateway polled a sensor not once (its event loop was starved for longer than a tick less a poll
   * interval), so no reading carries that tick's stamp (docs/scenarios.md "The scaled clock").
   */
  skippedTicks: Array<{ sensorId: string; atMs: number }>;
}

const DEFAULT_DRAIN_TIMEOUT_MS = 20_000;

/** The clock a run was played on, for reports: `discrete-event clock` or `scaled clock ×1200`. */
export function runClock(run: Pick<ScenarioRun, 'clock' | 'scale'>): string {
  return run.clock === 'virtual' ? 'discrete-event clock' : `scaled clock ×${run.scale}`;
}

/**
 * Runs a scenario: builds the world on the scenario clock, plays the timeline (stock moves through the
 * LLRP simulators, uplink cuts on the proxies, SIGKILL/restart of child gateways, reader drops, rogue
 * publishes), settles (uplinks back, buffers drained, gateways stopped, derived state flushed), holds
 * the cloud up if asked (the demo) and reads back the cloud's conclusions.
 */
export async function runScenario(loaded: LoadedScenario, opts: RunOptions = {}): Promise<ScenarioRun> {
  const s = loaded.scenario;
  const realStart = Date.now();
  const realDeadline = realStart + (opts.realLimitMs ?? Number.POSITIVE_INFINITY);
  const scale = opts.scale ?? s.clock.scale;
  const children = childGatewayIds(s);
  const asked = opts.clock ?? 'scaled';
  const mode: ClockMode = asked === 'virtual' && children.length > 0 ? 'scaled' : asked;
  const clockNote =
    mode === asked
      ? undefined
      : `played on the scaled clock: the discrete-event clock needs every gateway in the runner's process, and ${children.join(', ')} run(s) as a child process (process: child or powerLoss)`;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'coldtrace-scenario-'));
  const log =
    opts.log ??
    pino(
      { level: 'info' },
      pino.destination({ dest: join(dataDir, 'scenario.log'), mkdir: true, sync: false }),
    );
  const say = opts.say ?? (() => {});
  if (clockNote) say(`note: ${clockNote}`);
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) abort.abort();
  const limitTimer = Number.isFinite(realDeadline)
    ? setTimeout(onAbort, realDeadline - realStart)
    : undefined;
  let world: ScenarioWorld | undefined;
  try {
    world = await buildWorld(s, {
      mode,
      dataDir,
      log,
      scale,
      httpPort: opts.httpPort ?? 0,
      mqttPort: opts.mqttPort ?? 0,
    });
    const w = world;
    opts.onReady?.({ httpUrl: w.cloud.httpUrl, mqttUrl: w.cloud.mqttUrl, dataDir });
    const ctx: PlayContext = {
      say,
      log,
      signal: abort.signal,
      eventErrors: [],
      drainTimeoutMs: opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
      progress: opts.progress === true,
    };
    const played = mode === 'virtual' ? await playVirtual(w, loaded, ctx) : await playScaled(w, loaded, ctx);
    let dataClockStoppedAt: number | null = null;
    if (opts.holdRealMs && !abort.signal.aborted) {
      // The journey is over: the site stops feeding the cloud and the time of the data stands at its
      // end; the cloud keeps serving (its sessions and signatures run on the wall clock).
      await w.stopSite();
      dataClockStoppedAt = await w.stopClock();
      await w.cloud.observe();
      await opts.onJourneyDone?.({ httpUrl: w.cloud.httpUrl, dataClockStoppedAt });
      await holdReal(opts.holdRealMs, abort.signal);
    }
    const observed = await w.cloud.observe();
    return {
      name: s.name,
      source: loaded.source,
      observed,
      simulatedMs: played.simulatedMs,
      wallMs: Date.now() - realStart,
      scale,
      clock: mode,
      clockNote,
      steps: played.steps,
      dataClockStoppedAt,
      httpUrl: w.cloud.httpUrl,
      mqttUrl: w.cloud.mqttUrl,
      dataDir: opts.keep || opts.dataDir ? dataDir : null,
      gateways: played.drained.view,
      eventErrors: ctx.eventErrors,
      drainErrors: played.drained.errors,
      skippedTicks: played.skippedTicks,
      problems: [...ctx.eventErrors.map((e) => `event not carried out: ${e}`), ...played.drained.errors],
    };
  } finally {
    clearTimeout(limitTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    await world?.close();
    log.flush?.();
    if (!opts.keep && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}
