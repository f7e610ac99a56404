import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, ColdtraceError, systemClock } from '@coldtrace/shared';
import { SerialPort } from 'serialport';
import { seededRandom } from '../rng.js';
import { withCrc } from './crc16.js';
import { type ParsedSimProfile, type SimProfile, sampleProfile, simProfileSchema } from './profiles.js';
import {
  type SimRegisterMap,
  type SimRegisterMapInput,
  simRegisterMapSchema,
  XY_MD02_SIM_MAP,
} from './register-encoding.js';
import { RtuFramer } from './rtu-framer.js';
import { type Answer, answerRequest } from './rtu-responder.js';
import type { SensorSetup } from './setup-registers.js';
import { type SocatPair, startSocatPair } from './socat-pair.js';
import { exchangeMs } from './wire-time.js';

export interface SimSensorOptions {
  /** Modbus unit address, 1..247 (Modbus over serial line V1.02 §2.2). */
  address: number;
  profile: SimProfile;
  /** Register layout; the XY-MD02 one when absent. */
  map?: SimRegisterMapInput;
  /**
   * Extra time the device takes before it answers, on top of the wire time: a slow device, whose
   * answers come late when this exceeds the master's response timeout.
   */
  replyDelayMs?: number;
  /**
   * The device's line speed; the bus's `baudRate` when absent. Register 0x0102 reads 0xFFFF for a
   * speed the XY-MD02 has no code for (`XY_MD02_BAUD_RATES`).
   */
  baudRate?: number;
  /** Temperature correction (setup register 0x0103), °C, −10..10. */
  tempOffsetC?: number;
  /** Humidity correction (setup register 0x0104), %RH, −10..10. */
  rhOffset?: number;
  /**
   * What the device does with an FC 0x06 write to its setup: `stored` (default); `ignored`, echoed as
   * §6.6 asks but the setup kept (a module locked, or with another register layout), which a master
   * sees only by reading the setup back; `refused`, exception 0x01 (illegal function: a device that
   * takes no writes).
   */
  setupWrites?: 'stored' | 'ignored' | 'refused';
}

export interface ModbusSimulatorOptions {
  sensors: SimSensorOptions[];
  /** Scenario clock: profiles are functions of `clock.now() - start`. */
  clock?: Clock;
  seed?: number;
  /** Directory for the device symlinks; a fresh temp directory when absent. */
  dir?: string;
  /**
   * The master's line speed (default 9600): with `wireTime`, what an exchange takes. A pty carries no
   * line speed, so the simulator is told it: a device set to another speed hears only garbage and stays
   * silent.
   */
  baudRate?: number;
  /**
   * Answer after the time the exchange takes on a real line at `baudRate` (request and answer on the
   * wire, the end-of-frame silence and `turnaroundMs`; `wire-time.ts`) instead of at once. Default true.
   * Real time: it models the wire, not the scenario.
   */
  wireTime?: boolean;
  /** The device's processing time between a request and its answer; default 2 ms. */
  turnaroundMs?: number;
}

export interface ModbusSimStats {
  requests: number;
  answered: number;
  exceptions: number;
  /** Frames dropped for a bad CRC or a bad length. */
  badFrames: number;
  /** Requests left unanswered on purpose (`no_answer`) or for an address nobody has. */
  silent: number;
}

export interface ModbusSimulator {
  /** Give this path to the gateway (a symlink to its end of the pty pair). */
  readonly devicePath: string;
  readonly stats: ModbusSimStats;
  setProfile(address: number, profile: SimProfile): void;
  /** How much later than the wire time the device at `address` answers from now on. */
  setReplyDelay(address: number, ms: number): void;
  /**
   * The setup of the device now at `address`: `active` is what it runs with, `stored` what its setup
   * registers hold (a new address or baud rate is active only after `powerCycle`).
   */
  setup(address: number): { active: SensorSetup; stored: SensorSetup };
  /** Restart the devices (all, or the one now at `address`): each takes up its stored setup. */
  powerCycle(address?: number): void;
  /** The master now talks at `baudRate` (see `ModbusSimulatorOptions.baudRate`). */
  setLineBaud(baudRate: number): void;
  /** Remove the device path, as when a USB adapter is pulled (kills socat). */
  vanish(): Promise<void>;
  /** Make the same device path again. */
  reappear(): Promise<void>;
  close(): Promise<void>;
}

interface SimSensor {
  profile: ParsedSimProfile;
  map: SimRegisterMap;
  rand: () => number;
  replyDelayMs: number;
  active: SensorSetup;
  stored: SensorSetup;
  setupWrites: 'stored' | 'ignored' | 'refused';
}

/** A bus of simulated Modbus RTU temperature sensors on a socat pseudo-terminal pair. */
export async function startModbusSimulator(opts: ModbusSimulatorOptions): Promise<ModbusSimulator> {
  const clock = opts.clock ?? systemClock;
  const seed = opts.seed ?? 1;
  let lineBaud = checkedBaud(opts.baudRate ?? 9600);
  const sensors = new Map<number, SimSensor>();
  for (const s of opts.sensors) {
    if (!Number.isInteger(s.address) || s.address < 1 || s.address > 247) {
      throw new ColdtraceError('sim_bad_address', `sensor address must be 1..247, got ${s.address}`);
    }
    if (sensors.has(s.address))
      throw new ColdtraceError('sim_dup_address', `address ${s.address} used twice`);
    const setup: SensorSetup = {
      address: s.address,
      baudRate: checkedBaud(s.baudRate ?? lineBaud),
      tempOffsetC: checkedOffset(s.tempOffsetC ?? 0),
      rhOffset: checkedOffset(s.rhOffset ?? 0),
    };
    sensors.set(s.address, {
      active: setup,
      stored: setup,
      setupWrites: s.setupWrites ?? 'stored',
      profile: simProfileSchema.parse(s.profile),
      map: s.map ? simRegisterMapSchema.parse(s.map) : XY_MD02_SIM_MAP,
      rand: seededRandom(seed * 1000 + s.address),
      replyDelayMs: checkedDelay(s.replyDelayMs ?? 0),
    });
  }
  const wireTime = opts.wireTime ?? true;
  const turnaroundMs = checkedDelay(opts.turnaroundMs ?? 2);
  /** Answers written later (wire time, slow devices), cancelled when the line goes down. */
  const pending = new Set<ReturnType<typeof setTimeout>>();
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'coldtrace-modbus-'));
  const devicePath = join(dir, 'ttyGW');
  const simPath = join(dir, 'ttySIM');
  const startedAt = clock.now();
  const stats: ModbusSimStats = { requests: 0, answered: 0, exceptions: 0, badFrames: 0, silent: 0 };

  let pair: SocatPair | undefined;
  let port: SerialPort | undefined;
  let framer: RtuFramer | undefined;

  const onFrame = (frame: Buffer) => {
    stats.requests++;
    const sensor = sensors.get(frame[0]!);
    if (!sensor || sensor.active.baudRate !== lineBaud) {
      stats.silent++;
      return;
    }
    const sample = sampleProfile(sensor.profile, clock.now() - startedAt, sensor.rand);
    const answer: Answer =
      frame[1] === 6 && sensor.setupWrites === 'refused'
        ? { kind: 'reply', frame: withCrc(Buffer.from([frame[0]!, 0x86, 0x01])), exception: 0x01 }
        : answerRequest(frame, sensor.map, sample, sensor.stored);
    if (answer.kind === 'silent') {
      stats.silent++;
      return;
    }
    if (answer.stored && sensor.setupWrites === 'stored') sensor.stored = answer.stored;
    stats.answered++;
    if (answer.exception !== undefined) stats.exceptions++;
    const delay =
      (wireTime ? exchangeMs(lineBaud, frame.length, answer.frame.length, turnaroundMs) : 0) +
      sensor.replyDelayMs;
    if (delay <= 0) {
      port?.write(answer.frame);
      return;
    }
    const t = setTimeout(() => {
      pending.delete(t);
      port?.write(answer.frame);
    }, delay);
    pending.add(t);
  };

  const up = async () => {
    pair = await startSocatPair(devicePath, simPath);
    const p = new SerialPort({ path: simPath, baudRate: lineBaud, autoOpen: false });
    await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
    const f = new RtuFramer(onFrame, () => {
      stats.badFrames++;
    });
    p.on('data', (d: Buffer) => f.push(d));
    p.on('error', () => {
      // the pty went away under us (vanish/close); nothing to answer
    });
    port = p;
    framer = f;
  };
  const down = async () => {
    for (const t of pending) clearTimeout(t);
    pending.clear();
    framer?.stop();
    const p = port;
    port = undefined;
    if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
    await pair?.stop();
    pair = undefined;
  };

  await up();
  return {
    devicePath,
    stats,
    setProfile(address, profile) {
      const s = sensors.get(address);
      if (!s) throw new ColdtraceError('sim_unknown_address', `no simulated sensor at address ${address}`);
      s.profile = simProfileSchema.parse(profile);
    },
    setReplyDelay(address, ms) {
      const s = sensors.get(address);
      if (!s) throw new ColdtraceError('sim_unknown_address', `no simulated sensor at address ${address}`);
      s.replyDelayMs = checkedDelay(ms);
    },
    setup(address) {
      const s = sensors.get(address);
      if (!s) throw new ColdtraceError('sim_unknown_address', `no simulated sensor at address ${address}`);
      return { active: s.active, stored: s.stored };
    },
    powerCycle(address) {
      const restarting = address === undefined ? [...sensors.values()] : [sensors.get(address)];
      if (restarting.some((s) => s === undefined))
        throw new ColdtraceError('sim_unknown_address', `no simulated sensor at address ${address}`);
      const next = new Map<number, SimSensor>();
      for (const s of sensors.values()) {
        const a = restarting.includes(s) ? s.stored.address : s.active.address;
        if (next.has(a)) throw new ColdtraceError('sim_dup_address', `address ${a} used twice`);
        next.set(a, s);
      }
      for (const s of restarting) s!.active = s!.stored;
      sensors.clear();
      for (const [a, s] of next) sensors.set(a, s);
    },
    setLineBaud(baudRate) {
      lineBaud = checkedBaud(baudRate);
    },
    vanish: down,
    async reappear() {
      if (!pair) await up();
    },
    async close() {
      await down();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function checkedBaud(baudRate: number): number {
  if (!(Number.isInteger(baudRate) && baudRate > 0))
    throw new ColdtraceError('sim_bad_baud', `a baud rate must be a positive integer, got ${baudRate}`);
  return baudRate;
}

function checkedOffset(v: number): number {
  if (!(v >= -10 && v <= 10))
    throw new ColdtraceError('sim_bad_offset', `a correction must be -10..10, got ${v}`);
  return v;
}

function checkedDelay(ms: number): number {
  if (!(ms >= 0 && ms <= 60_000))
    throw new ColdtraceError('sim_bad_delay', `a delay must be 0..60000 ms, got ${ms}`);
  return ms;
}
