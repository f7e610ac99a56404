import type { ScanStationModule } from '@coldtrace/edge';
import { labelCode } from '@coldtrace/firmware-sim';
import { ColdtraceError } from '@coldtrace/shared';
import { formatDuration } from './duration.js';
import type { LoadedScenario } from './load-scenario.js';
import { roguePublish } from './rogue-publish.js';
import type { ScenarioEvent } from './scenario-schema.js';
import type { ScenarioWorld } from './scenario-world.js';
import { resolveUnits, selectUnits } from './units.js';

/** Real time a scan waits for the gateway's station to read every code. */
const SCAN_READ_WAIT_REAL_MS = 10_000;

/** Real time (scaled clock; its scenario equivalent on the discrete-event one) a move waits for a gateway to read its portal. */
const MOVE_READER_WAIT_REAL_MS = 5000;

export interface PlannedAction {
  /** Scenario ms from the start. */
  atMs: number;
  kind: string;
  what: string;
  e: ScenarioEvent;
}

/**
 * Scans each unit's printed code at the station, one after the other, and waits until the gateway's
 * station has read them all: every code must come out as a scan (none refused), or the event failed.
 */
async function scanUnits(
  w: ScenarioWorld,
  s: LoadedScenario['scenario'],
  scan: Extract<ScenarioEvent, { scan: unknown }>['scan'],
): Promise<void> {
  const g = [...w.gateways.values()].find((x) => x.scanners.has(scan.station))!;
  const station = g.inProcess?.modules.find((m) => m.name === `scan:${scan.station}`) as
    | ScanStationModule
    | undefined;
  if (!station)
    throw new ColdtraceError(
      'scenario_event_failed',
      `gateway ${g.id} is not running: nothing reads station ${scan.station}`,
    );
  const before = station.report();
  const refusedBefore = Object.values(before.refused).reduce((a, b) => a + b, 0);
  const codes = selectUnits(s, scan.units).map(({ lot, serial }) =>
    labelCode(
      { gtin: lot.gtin, lot: lot.lotNumber, expiry: lot.expiry, units: 1, format: scan.format },
      String(serial),
    ),
  );
  const scanner = g.scanners.get(scan.station)!;
  for (const code of codes) await scanner.send(code);
  // Real time: the codes travel over a pseudo-terminal; the scans are stamped when the gateway reads them.
  const deadline = Date.now() + SCAN_READ_WAIT_REAL_MS;
  for (;;) {
    const r = station.report();
    const refused = Object.values(r.refused).reduce((a, b) => a + b, 0) - refusedBefore;
    if (refused > 0)
      throw new ColdtraceError(
        'scenario_event_failed',
        `station ${scan.station} refused ${refused} code(s): ${r.lastError}`,
      );
    if (r.scans - before.scans >= codes.length) return;
    if (Date.now() > deadline)
      throw new ColdtraceError(
        'scenario_event_failed',
        `station ${scan.station} read ${r.scans - before.scans} of ${codes.length} code(s) within ${SCAN_READ_WAIT_REAL_MS / 1000} s${r.deviceOpen ? '' : ' (its device is not open)'}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
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
  if ('scan' in e)
    return [{ atMs: e.at, kind: 'scan', what: `scan ${e.scan.units} at ${e.scan.station}`, e }];
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
  } else if ('scan' in e) {
    await scanUnits(w, s, e.scan);
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
