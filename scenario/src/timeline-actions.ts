import { ColdtraceError } from '@coldtrace/shared';
import { formatDuration } from './duration.js';
import type { LoadedScenario } from './load-scenario.js';
import { roguePublish } from './rogue-publish.js';
import type { ScenarioEvent } from './scenario-schema.js';
import type { ScenarioWorld } from './scenario-world.js';
import { resolveUnits } from './units.js';

/** Real time (scaled clock; its scenario equivalent on the discrete-event one) a move waits for a gateway to read its portal. */
const MOVE_READER_WAIT_REAL_MS = 5000;

export interface PlannedAction {
  /** Scenario ms from the start. */
  atMs: number;
  kind: string;
  what: string;
  e: ScenarioEvent;
}

/** Fault and stock actions of one timeline event (temperature and sensor faults are functions of time). */
function actionsOf(e: ScenarioEvent): PlannedAction[] {
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

/** The timeline's actions in time order (ties keep the file's order). */
export function planActions(s: LoadedScenario['scenario']): PlannedAction[] {
  return s.timeline.flatMap(actionsOf).sort((a, b) => a.atMs - b.atMs);
}

/**
 * Carries out one action on the world: a move through the portal's LLRP simulator (reads stamped at the
 * action's scenario time), an uplink cut or its end on the gateway's proxy, a power loss (SIGKILL) or
 * restart of a child gateway, a reader drop, a rogue device's publishes. Throws `scenario_event_failed`
 * when the action could not happen as written.
 */
export async function perform(
  w: ScenarioWorld,
  s: LoadedScenario['scenario'],
  a: PlannedAction,
): Promise<void> {
  const e = a.e;
  if ('move' in e) {
    const epcs = resolveUnits(s, e.move.units);
    const reader = w.readers.get(e.move.portal)!;
    // Nobody could see a move through a portal no gateway is reading (powered off, not reconnected).
    const waitMs = MOVE_READER_WAIT_REAL_MS * w.clockParams.scale;
    try {
      await reader.waitActive(waitMs);
    } catch {
      throw new ColdtraceError(
        'scenario_event_failed',
        `no gateway was reading portal ${e.move.portal} (no ROSpec active within ${
          w.mode === 'scaled' ? `${MOVE_READER_WAIT_REAL_MS / 1000} s real time` : formatDuration(waitMs)
        })`,
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
