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
 * Scaled clock only: real ms before a tick boundary inside which an answer waits for the boundary; longer
 * than the time from the bus's answer to the gateway stamping the reading (socat relay, modbus-serial,
 * the gateway's own event loop), so a reading's value and its stamp come from the same tick (see
 * docs/scenarios.md "The scaled clock").
 */
export const TICK_GUARD_REAL_MS = 12;

/** Real ms of silence after which the bus takes a partial frame for noise, on the discrete-event clock. */
const VIRTUAL_SILENCE_REAL_MS = 1000;

/** What the bus has seen and done, for the discrete-event clock's rest check. */
export interface BusActivity {
  /** Bytes received from the gateway that are not yet part of a whole request frame (or noise). */
  readonly pendingBytes: number;
  /** Whole request frames received, and runs of bytes dropped as noise (a request that never made it). */
  readonly frames: number;
  /** The last frame got no answer (its sensor is silent, nobody has its address, or it was noise). */
  readonly lastSilent: boolean;
  /** Answers held to the next tick (scaled clock) or still being written to the pseudo-terminal. */
  readonly answersPending: number;
}

export interface TimelineBus {
  readonly devicePath: string;
  readonly stats: { requests: number; answered: number; heldToNextTick: number };
  readonly activity: BusActivity;
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
  /**
   * The scaled clock's parameters (anchor, scale, tick): lets an answer avoid straddling a tick
   * boundary. Absent on the discrete-event clock, which never moves while an answer is in flight.
   */
  clockParams?: ScenarioClockParams | undefined;
  startMs: number;
  baudRate: number;
}): Promise<TimelineBus> {
  const byAddress = new Map(opts.sensors.map((s) => [s.address, s]));
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-scn-bus-'));
  const devicePath = join(dir, 'ttyGW');
  const simPath = join(dir, 'ttySIM');
  const stats = { requests: 0, answered: 0, heldToNextTick: 0 };
  const activity = { pendingBytes: 0, frames: 0, lastSilent: false, answersPending: 0 };
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
  /** The answer to one request frame, or silence; true when something was written. */
  const answer = (frame: Buffer): boolean => {
    const sensor = byAddress.get(frame[0]!);
    if (!sensor) return false; // §2.1: nobody at that address answers
    const at = opts.clock.now() - opts.startMs;
    polledTicks.get(sensor.sensorId)!.add(at);
    const a = answerRequest(frame, XY_MD02_SIM_MAP, sensor.sample(at));
    if (a.kind === 'silent' || !port.isOpen) return false;
    stats.answered++;
    activity.answersPending++;
    // Counted until the bytes are handed to the pseudo-terminal.
    port.write(a.frame, () => activity.answersPending--);
    return true;
  };
  const framer = new RtuFramer(
    (frame) => {
      stats.requests++;
      activity.frames++;
      activity.pendingBytes = Math.max(0, activity.pendingBytes - frame.length);
      // Scaled clock: the gateway stamps the reading when the answer reaches it, a few real ms later; an
      // answer given just before a tick boundary would carry this tick's value under the next tick's
      // stamp. Such an answer waits for the boundary and gives the next tick's value (well inside the
      // gateway's timeout).
      const wait = toNextBoundary();
      if (wait < TICK_GUARD_REAL_MS) {
        stats.heldToNextTick++;
        activity.answersPending++;
        activity.lastSilent = false;
        const copy = Buffer.from(frame);
        setTimeout(() => {
          activity.answersPending--;
          answer(copy);
        }, Math.ceil(wait) + 1);
      } else activity.lastSilent = !answer(frame);
    },
    (noise) => {
      activity.pendingBytes = Math.max(0, activity.pendingBytes - noise.length);
      // What the gateway sent was not a request the bus can answer: for it, a silent device.
      activity.frames++;
      activity.lastSilent = true;
    },
    // The framer ends a frame of unknown length after this much real silence (Modbus over serial line
    // V1.02 §2.5.1.1, 3.5 characters). The gateway's requests are framed by their length; on the
    // discrete-event clock a long silence keeps a request split by a slow relay from being taken for
    // noise, which would make the outcome depend on the machine.
    opts.clockParams ? undefined : VIRTUAL_SILENCE_REAL_MS,
  );
  port.on('data', (d: Buffer) => {
    activity.pendingBytes += d.length;
    framer.push(d);
  });
  port.on('error', () => {});
  return {
    devicePath,
    stats,
    activity,
    polledTicks,
    async close() {
      framer.stop();
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await pair.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
