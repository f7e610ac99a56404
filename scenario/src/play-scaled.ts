import { errorMessage } from '@coldtrace/shared';
import type { Logger } from 'pino';
import { formatDuration } from './duration.js';
import type { LoadedScenario } from './load-scenario.js';
import type { ScenarioRun } from './runner.js';
import type { ScenarioWorld } from './scenario-world.js';
import { drain, skipped } from './settle.js';
import { perform, planActions } from './timeline-actions.js';

/** Real ms before the scenario starts, for set-up to settle and child gateways to boot. */
const LEAD_MS = 300;
const CHILD_LEAD_MS = 6000;

export interface PlayContext {
  say: (line: string) => void;
  log: Logger;
  signal: AbortSignal;
  /** Events not carried out, with why (filled as the timeline plays). */
  eventErrors: string[];
  /** Real time the gateways may take to drain their buffers after the timeline. */
  drainTimeoutMs: number;
  /** Say the cloud's counts every few real seconds (scaled clock only: someone is watching). */
  progress: boolean;
}

export interface Played {
  simulatedMs: number;
  drained: { view: ScenarioRun['gateways']; errors: string[] };
  skippedTicks: ScenarioRun['skippedTicks'];
  /** Instants the discrete-event clock moved to (undefined on the scaled clock). */
  steps: number | undefined;
}

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

/** Keeps the world up for `holdRealMs` of real time (Infinity: until `signal`). */
export function holdReal(holdRealMs: number | undefined, signal: AbortSignal): Promise<void> {
  if (!holdRealMs) return Promise.resolve();
  return sleep(holdRealMs === Number.POSITIVE_INFINITY ? 2 ** 31 - 1 : holdRealMs, signal);
}

/** Says the cloud store's counts (and each new excursion) every 2 real seconds; returns the stopper. */
function sayProgress(w: ScenarioWorld, say: (line: string) => void): () => void {
  let lastLine = '';
  const seen = new Set<string>();
  const timer = setInterval(() => {
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
  }, 2000);
  return () => clearInterval(timer);
}

/**
 * Plays the timeline on the scaled real-time clock: each action fires half a tick after its scenario
 * time by the wall clock (moves pin their reader's clock at the scenario time), then settles: uplinks and
 * power back, polling and RFID stopped, buffers drained into the cloud (real time, bounded), gateways
 * stopped. Ticks in which a sensor was not polled at all (a starved event loop) are reported.
 */
export async function playScaled(w: ScenarioWorld, loaded: LoadedScenario, c: PlayContext): Promise<Played> {
  const s = loaded.scenario;
  const scale = w.clockParams.scale;
  const hasChild = [...w.gateways.values()].some((g) => g.inProcess === undefined);
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
    c.log.warn({ lateMs: Date.now() - anchor }, 'child gateways were not ready by the scenario start');
  c.say(`scenario ${s.name}: ${formatDuration(s.duration)} at ×${scale} from ${s.start}`);
  // A stalled event loop skips clock ticks (no polls in them): logged, as it explains odd gaps.
  const tickRealMs = s.clock.tick / scale;
  let lastBeat = Date.now();
  const lagTimer = setInterval(() => {
    const n = Date.now();
    if (n - lastBeat > 2 * tickRealMs)
      c.log.warn(
        { stalledMs: n - lastBeat, at: formatDuration(w.clock.now() - w.startMs) },
        'runner event loop stalled: clock ticks without polls',
      );
    lastBeat = n;
  }, 5);
  const stopProgress = c.progress ? sayProgress(w, c.say) : () => {};
  const realAt = (atMs: number) => anchor + (atMs + s.clock.tick / 2) / scale;

  const inFlight: Promise<void>[] = [];
  for (const a of planActions(s)) {
    await sleep(realAt(a.atMs) - Date.now(), c.signal);
    if (c.signal.aborted) break;
    c.say(`  +${formatDuration(a.atMs)}  ${a.what}`);
    const p = perform(w, s, a).catch((err) => {
      c.eventErrors.push(`${a.what} at +${formatDuration(a.atMs)}: ${errorMessage(err)}`);
      c.log.warn({ err: errorMessage(err), event: a.what }, 'scenario event failed');
    });
    inFlight.push(p);
  }
  await sleep(realAt(s.duration) - Date.now(), c.signal);
  await Promise.all(inFlight);
  clearInterval(lagTimer);
  stopProgress();
  const simulatedMs = Math.min(s.duration, w.clock.now() - w.startMs);
  const skippedTicks = skipped(w, s.clock.tick, simulatedMs);
  if (skippedTicks.length)
    c.log.warn({ skippedTicks: skippedTicks.slice(0, 50) }, 'ticks without any poll of a sensor');

  // Settle: uplinks and power back, buffers drained into the cloud, gateways stopped.
  c.say('settling: uplinks back, buffers drained, derived state computed');
  for (const g of w.gateways.values()) {
    g.proxy.restore();
    if (g.child && !g.child.running) g.child.start();
    // The scenario is over: no new records, so the buffer can drain to empty.
    for (const m of g.inProcess?.modules ?? []) if (m.name !== 'local-alarms') await m.stop().catch(() => {});
  }
  const drained = await drain(w, c.log, c.drainTimeoutMs);
  for (const g of w.gateways.values()) {
    g.stopped = true;
    await g.inProcess?.stop();
    await g.child?.stop();
  }
  return { simulatedMs, drained, skippedTicks, steps: undefined };
}
