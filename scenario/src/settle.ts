import type { Logger } from 'pino';
import type { ScenarioRun } from './runner.js';
import type { ScenarioWorld } from './scenario-world.js';

/** Records a child gateway may still hold when it counts as drained (see `drain`). */
const CHILD_DRAINED_RECORDS = 100;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Ticks between a sensor's first and last poll in which an in-process gateway did not poll it. */
export function skipped(w: ScenarioWorld, tick: number, untilMs: number): ScenarioRun['skippedTicks'] {
  const out: ScenarioRun['skippedTicks'] = [];
  for (const g of w.gateways.values()) {
    if (!g.inProcess || !g.bus) continue;
    for (const [sensorId, ticks] of g.bus.polledTicks) {
      if (ticks.size === 0) continue;
      const first = Math.min(...ticks);
      const last = Math.min(Math.max(...ticks), untilMs);
      for (let t = first; t <= last; t += tick) if (!ticks.has(t)) out.push({ sensorId, atMs: t });
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs || (a.sensorId < b.sensorId ? -1 : 1));
}

/**
 * Waits (real time, bounded by `timeoutMs`) until every gateway's backlog reached the cloud. Returns the
 * gateways' view and, for each gateway that did not drain, why (records left, or not running).
 */
export async function drain(
  w: ScenarioWorld,
  log: Logger,
  timeoutMs: number,
): Promise<{ view: ScenarioRun['gateways']; errors: string[] }> {
  const startedAt = Date.now();
  const deadline = startedAt + timeoutMs;
  const backlogOf = async (
    g: ScenarioWorld['gateways'] extends Map<string, infer G> ? G : never,
  ): Promise<number | null> => {
    if (g.inProcess) return g.inProcess.buffer.stats().records;
    // A child gateway: its retained status says what it still holds; give a restarted one time to say it.
    const row = await w.cloud.gatewayStatus(g.id);
    if (!row?.status_json) return null;
    try {
      return (JSON.parse(row.status_json) as { backlog?: { records?: number } }).backlog?.records ?? null;
    } catch {
      return null;
    }
  };
  const gws = [...w.gateways.values()];
  if (gws.some((g) => g.child)) await sleep(Math.min(2500, timeoutMs));
  for (;;) {
    const view = await Promise.all(
      gws.map(async (g) => ({
        id: g.id,
        online: g.inProcess ? g.inProcess.publisher.connected : g.child?.running === true,
        backlog: await backlogOf(g),
      })),
    );
    // A child gateway keeps polling until it is stopped, so its backlog is rarely exactly 0: a small
    // one is only what was read after the scenario's end (the buffer replays oldest first).
    const isDrained = (v: (typeof view)[number], i: number) =>
      v.backlog === 0 ||
      (gws[i]!.child !== undefined && v.backlog !== null && v.backlog <= CHILD_DRAINED_RECORDS);
    const stuck = view.filter((v, i) => !isDrained(v, i));
    if (stuck.length === 0) return { view, errors: [] };
    // A gateway process that is not running can never drain: no point waiting for it.
    const hopeless = stuck.every((v) => {
      const child = gws.find((g) => g.id === v.id)!.child;
      return child !== undefined && !child.running;
    });
    if (Date.now() >= deadline || hopeless) {
      log.warn({ view }, 'gateways did not drain in time');
      const secs = ((Date.now() - startedAt) / 1000).toFixed(0);
      return {
        view,
        errors: stuck.map((v) => {
          const g = gws.find((x) => x.id === v.id)!;
          if (g.child && !g.child.running)
            return `gateway ${v.id} did not drain: its process is not running (buffer left on disk)`;
          return `gateway ${v.id} did not drain within ${secs} s: ${v.backlog === null ? 'no backlog reported' : `${v.backlog} record(s) still buffered`}${v.online ? '' : ', not connected to the broker'}`;
        }),
      };
    }
    await sleep(100);
  }
}
