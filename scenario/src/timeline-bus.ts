import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  answerRequest,
  RtuFramer,
  type SocatPair,
  startSocatPair,
  XY_MD02_SIM_MAP,
} from '@coldtrace/firmware-sim';
import type { Clock, ScenarioClockParams } from '@coldtrace/shared';
import { SerialPort } from 'serialport';
import type { SensorTimeline } from './temperature-timeline.js';

/**
 * Real ms before a tick boundary inside which an answer waits for the boundary: longer than the time from
 * the bus's answer to the gateway stamping the reading (socat relay, modbus-serial, the gateway's own
 * event loop), so a reading's value and its stamp come from the same tick (see docs/scenarios.md).
 */
export const TICK_GUARD_REAL_MS = 12;

export interface TimelineBus {
  readonly devicePath: string;
  readonly stats: { requests: number; answered: number; heldToNextTick: number };
  /** Scenario ms (from the start) of every tick in which each sensor was asked, by sensor id. */
  readonly polledTicks: ReadonlyMap<string, ReadonlySet<number>>;
  close(): Promise<void>;
}

/**
 * The Modbus simulator's RS-485 bus (socat pty pair, RTU framer and XY-MD02 responder) answering from
 * scenario timelines: each answer is the sensor's sample at the scenario clock's now, so a value
 * depends only on scenario time. Modbus over serial line V1.02 §2.5.1: request/answer framing as in
 * the simulator.
 */
export async function startTimelineBus(opts: {
  sensors: readonly SensorTimeline[];
  clock: Clock;
  /** The clock's parameters (anchor, scale, tick): lets an answer avoid straddling a tick boundary. */
  clockParams?: ScenarioClockParams | undefined;
  startMs: number;
  baudRate: number;
}): Promise<TimelineBus> {
  const byAddress = new Map(opts.sensors.map((s) => [s.address, s]));
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-scn-bus-'));
  const devicePath = join(dir, 'ttyGW');
  const simPath = join(dir, 'ttySIM');
  const stats = { requests: 0, answered: 0, heldToNextTick: 0 };
  /** Real ms until the clock's next tick boundary, or Infinity when the clock has no ticks or stands still. */
  const toNextBoundary = (): number => {
    const p = opts.clockParams;
    if (!p || p.tickMs <= 1 || !Number.isFinite(p.realAnchorMs)) return Number.POSITIVE_INFINITY;
    const elapsed = (Date.now() - p.realAnchorMs) * p.scale;
    if (elapsed < 0) return Number.POSITIVE_INFINITY;
    const next = (Math.floor(elapsed / p.tickMs) + 1) * p.tickMs;
    return (next - elapsed) / p.scale;
  };
  const pair: SocatPair = await startSocatPair(devicePath, simPath);
  const port = new SerialPort({ path: simPath, baudRate: opts.baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const polledTicks = new Map<string, Set<number>>(opts.sensors.map((x) => [x.sensorId, new Set<number>()]));
  const answer = (frame: Buffer) => {
    const sensor = byAddress.get(frame[0]!);
    if (!sensor) return; // §2.1: nobody at that address answers
    const at = opts.clock.now() - opts.startMs;
    polledTicks.get(sensor.sensorId)!.add(at);
    const a = answerRequest(frame, XY_MD02_SIM_MAP, sensor.sample(at));
    if (a.kind === 'silent') return;
    stats.answered++;
    if (port.isOpen) port.write(a.frame);
  };
  const framer = new RtuFramer(
    (frame) => {
      stats.requests++;
      // The gateway stamps the reading when the answer reaches it, a few real ms later: an answer given
      // just before a tick boundary would carry this tick's value under the next tick's stamp. Such an
      // answer waits for the boundary and gives the next tick's value (well inside the gateway's timeout).
      const wait = toNextBoundary();
      if (wait < TICK_GUARD_REAL_MS) {
        stats.heldToNextTick++;
        const copy = Buffer.from(frame);
        setTimeout(() => answer(copy), Math.ceil(wait) + 1);
      } else answer(frame);
    },
    () => {},
  );
  port.on('data', (d: Buffer) => framer.push(d));
  port.on('error', () => {});
  return {
    devicePath,
    stats,
    polledTicks,
    async close() {
      framer.stop();
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await pair.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
