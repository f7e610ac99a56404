import { errorMessage, STREAMS } from '@coldtrace/shared';
import { formatDuration } from './duration.js';
import type { LoadedScenario } from './load-scenario.js';
import type { PlayContext, Played } from './play-scaled.js';
import type { ScenarioWorld } from './scenario-world.js';
import { perform, planActions } from './timeline-actions.js';
import { quiesce, runDiscreteEvents, type TimedAction } from './virtual/discrete-events.js';
import { watchWorld } from './virtual/world-activity.js';

/** Scenario time the settling may take at most (after the timeline) before a gateway counts as not drained. */
const SETTLE_LIMIT_MS = 3_600_000;

/**
 * Plays the timeline on the discrete-event clock (docs/scenarios.md "The two clocks"): the world comes to
 * rest at the scenario start (connections up, ROSpecs running), then time moves from event to event —
 * each timer and each action at its exact scenario time — and only while nothing is in flight. Then
 * settles the same way: uplinks back, polling and RFID stopped, every buffer sent and acknowledged,
 * gateways stopped.
 */
export async function playVirtual(w: ScenarioWorld, loaded: LoadedScenario, c: PlayContext): Promise<Played> {
  const s = loaded.scenario;
  const clock = w.watch!.clock;
  const world = watchWorld(w);
  // At rest at the start: the gateways connected to the broker and their readers' ROSpecs set up.
  await quiesce(world);
  c.say(`scenario ${s.name}: ${formatDuration(s.duration)} on the discrete-event clock from ${s.start}`);

  /** Actions and module stops not finished yet (a move spans scenario time: its reads are timed). */
  let unfinished = 0;
  const track = (p: Promise<unknown>) => {
    unfinished++;
    void p.finally(() => unfinished--);
  };
  const plan = planActions(s);
  const actions: TimedAction[] = plan.map((a) => ({
    atMs: w.startMs + a.atMs,
    run() {
      c.say(`  +${formatDuration(a.atMs)}  ${a.what}`);
      const p = perform(w, s, a);
      // A rogue device's publishes and a scan take no scenario time: the clock waits for them.
      track(
        (a.kind === 'rogue' || a.kind === 'scan' ? world.hold(p) : p).catch((err) => {
          c.eventErrors.push(`${a.what} at +${formatDuration(a.atMs)}: ${errorMessage(err)}`);
          c.log.warn({ err: errorMessage(err), event: a.what }, 'scenario event failed');
        }),
      );
    },
  }));
  const lastAt = Math.max(s.duration, ...plan.map((a) => a.atMs));
  const played = await runDiscreteEvents({
    clock,
    world,
    actions,
    endMs: w.startMs + lastAt,
    signal: c.signal,
  });
  const simulatedMs = Math.min(s.duration, clock.now() - w.startMs);

  // Settle: uplinks back, polling and RFID stopped (a poll waiting for a silent sensor ends at its
  // timeout, on this clock), everything buffered sent at once and acknowledged.
  c.say('settling: uplinks back, buffers drained, derived state computed');
  const gws = [...w.gateways.values()];
  for (const g of gws) {
    g.proxy.restore();
    for (const m of g.inProcess?.modules ?? [])
      if (m.name !== 'local-alarms') track(m.stop().catch(() => {}));
  }
  const backlog = () => gws.reduce((n, g) => n + (g.inProcess?.buffer.stats().records ?? 0), 0);
  const settle = await runDiscreteEvents({
    clock,
    world,
    endMs: clock.now() + SETTLE_LIMIT_MS,
    signal: AbortSignal.timeout(c.drainTimeoutMs),
    // A long drain keeps the world busy; its bound is the drain timeout (then a drain error), not this.
    stuckAfterRealMs: c.drainTimeoutMs + 60_000,
    until: () => {
      if (unfinished > 0) return false;
      if (backlog() === 0) return true;
      // No more records will come: send what is left now rather than at its batch age.
      for (const g of gws) for (const st of STREAMS) g.inProcess?.publisher.notify(st, { urgent: true });
      return false;
    },
  });
  const view = gws.map((g) => ({
    id: g.id,
    online: g.inProcess?.publisher.connected ?? false,
    backlog: g.inProcess?.buffer.stats().records ?? null,
  }));
  const errors =
    settle.stopped === 'until'
      ? []
      : view
          .filter((v) => v.backlog !== 0)
          .map(
            (v) =>
              `gateway ${v.id} did not drain (${
                settle.stopped === 'aborted'
                  ? `${(c.drainTimeoutMs / 1000).toFixed(0)} s of real time`
                  : `${formatDuration(SETTLE_LIMIT_MS)} of scenario time`
              }): ${v.backlog} record(s) still buffered${v.online ? '' : ', not connected to the broker'}`,
          );
  if (errors.length) c.log.warn({ view }, 'gateways did not drain in time');
  // Stopped while the clock still runs: a poll still waiting for a silent sensor ends at its timeout.
  let running = 0;
  for (const g of gws) {
    g.stopped = true;
    if (!g.inProcess) continue;
    running++;
    const done = () => running--;
    g.inProcess.stop().then(done, done);
  }
  const stopped = await runDiscreteEvents({
    clock,
    world,
    endMs: clock.now() + SETTLE_LIMIT_MS,
    until: () => running === 0,
  });
  return {
    simulatedMs,
    drained: { view, errors },
    skippedTicks: [],
    steps: played.steps + settle.steps + stopped.steps,
  };
}
