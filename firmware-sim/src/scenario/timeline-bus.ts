import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '@coldtrace/shared';
import { SerialPort } from 'serialport';
import { XY_MD02_SIM_MAP } from '../modbus/register-encoding.js';
import { RtuFramer } from '../modbus/rtu-framer.js';
import { answerRequest } from '../modbus/rtu-responder.js';
import { type SocatPair, startSocatPair } from '../modbus/socat-pair.js';
import type { SensorTimeline } from './temperature-timeline.js';

export interface TimelineBus {
  readonly devicePath: string;
  readonly stats: { requests: number; answered: number };
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
  startMs: number;
  baudRate: number;
}): Promise<TimelineBus> {
  const byAddress = new Map(opts.sensors.map((s) => [s.address, s]));
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-scn-bus-'));
  const devicePath = join(dir, 'ttyGW');
  const simPath = join(dir, 'ttySIM');
  const stats = { requests: 0, answered: 0 };
  const pair: SocatPair = await startSocatPair(devicePath, simPath);
  const port = new SerialPort({ path: simPath, baudRate: opts.baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const framer = new RtuFramer(
    (frame) => {
      stats.requests++;
      const sensor = byAddress.get(frame[0]!);
      if (!sensor) return; // §2.1: nobody at that address answers
      const answer = answerRequest(frame, XY_MD02_SIM_MAP, sensor.sample(opts.clock.now() - opts.startMs));
      if (answer.kind === 'silent') return;
      stats.answered++;
      port.write(answer.frame);
    },
    () => {},
  );
  port.on('data', (d: Buffer) => framer.push(d));
  port.on('error', () => {});
  return {
    devicePath,
    stats,
    async close() {
      framer.stop();
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await pair.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
