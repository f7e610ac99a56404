import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type SocatPair, socatMissing, startSocatPair } from '@coldtrace/firmware-sim';
import type { Reading } from '@coldtrace/shared';
import { freePort, until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { gatewayRig } from '../gateway-harness.js';
import { scrape } from './metrics-text.js';
import { LATE_SLAVE, pymodbusPython } from './peers/peers.js';

const py = pymodbusPython();
const skip = socatMissing() ?? ('missing' in py ? py.missing : null);
if (skip) console.warn(`[skip] gateway against a pymodbus slave: ${skip}`);

const rig = gatewayRig();
let pair: SocatPair | undefined;
let slave: ChildProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  await rig.close();
  slave?.kill('SIGKILL');
  await pair?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  pair = slave = dir = undefined;
});

/** What the slave says it sent: one line per answer. */
interface Sent {
  unit: number;
  temp: number;
  late: boolean;
}

/** Starts `peers/late-slave.py` on the slave end of a pty pair; resolves once it listens. */
async function startSlave(python: string, args: string[]) {
  dir = mkdtempSync(join(tmpdir(), 'coldtrace-pymodbus-'));
  pair = await startSocatPair(join(dir, 'ttyGW'), join(dir, 'ttySLAVE'));
  const child = spawn(python, [LATE_SLAVE, pair.simPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  slave = child;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const sent: Sent[] = [];
  let ready = false;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'ready') ready = true;
    else sent.push(JSON.parse(line) as Sent);
  });
  await until(() => ready || child.exitCode !== null, 'the pymodbus slave listening');
  if (!ready) throw new Error(`pymodbus slave exited: ${stderr}`);
  const stopped = new Promise((resolve) => child.once('exit', resolve));
  const stop = () => {
    child.kill('SIGTERM');
    return stopped;
  };
  return { devicePath: pair.gatewayPath, sent, stop };
}

/** Every reading still in the gateway's buffer (no broker: nothing is acknowledged, nothing removed). */
function storedReadings(g: Gateway): Reading[] {
  const out: Reading[] = [];
  let after: number | undefined;
  for (;;) {
    const page = g.buffer.peek('readings', { afterSeq: after, limit: 1000 });
    if (!page) return out;
    out.push(...page.records);
    after = page.lastSeq;
  }
}

/**
 * The gateway against a Modbus slave the project did not write (pymodbus). Every answer carries a new
 * value, so a stored reading shows which request it answered. Unit 2 answers after 250 ms, past the
 * gateway's 150 ms timeout; nobody answers unit 3.
 * - Without retries, unit 2 answers every other request late: the late answer arrives while the gateway
 *   waits on dead unit 3, and the next request to unit 2 is the next thing on the bus.
 * - With one retry, unit 2 answers every request late (a sensor slower than the timeout): its late
 *   answer comes while the gateway could be retrying it. Unit 1 answers at once.
 * Either way every stored value is the one sent for that request: none sent late.
 */
const CASES = [
  { name: 'no retry, every other answer late', retries: 0, lateEvery: 2, units: [2, 3] },
  { name: 'one retry, every answer late', retries: 1, lateEvery: 1, units: [1, 2, 3] },
];
describe.skipIf(skip !== null).each(CASES)(
  'gateway and a pymodbus slave answering late: $name',
  ({ retries, lateEvery, units }) => {
    it('stores only values sent in time, each for its own request, and counts every late answer', async () => {
      const served = units.filter((u) => u !== 3).flatMap((u) => ['--unit', String(u)]);
      const s = await startSlave((py as { python: string }).python, [
        ...served,
        ...['--late', '2', '--late-ms', '250', '--late-every', String(lateEvery)],
      ]);
      const g = await rig.start({
        mqtt: { url: `mqtt://127.0.0.1:${await freePort()}`, reconnectMs: 60_000 },
        http: { host: '127.0.0.1', port: 0 },
        modbus: [
          {
            id: 'bus1',
            path: s.devicePath,
            timeoutMs: 150,
            retries,
            retryDelayMs: 5,
            // Ends 500 ms after the timeout: well after the late answer, even on a busy machine.
            lateReplyWindowMs: 500,
            sensors: units.map((a) => ({ id: `s${a}`, address: a, locationId: 'room', pollMs: 300 })),
          },
        ],
      });
      await until(() => s.sent.filter((x) => x.late).length >= 4, 'four late answers sent');
      await s.stop();
      const late = s.sent.filter((x) => x.late);
      const metric = (name: string, sensor: string) =>
        scrape(g.httpPort!).then((m) =>
          m.get(`coldtrace_gateway_modbus_${name}{bus="bus1",sensor="${sensor}"}`),
        );
      // Each late answer reached the gateway and was counted as late; nothing else was unmatched.
      await until(
        async () => (await metric('late_replies_total', 's2')) === late.length,
        'late answers counted',
      );
      expect(await metric('timeouts_total', 's2')).toBeGreaterThanOrEqual(late.length);
      expect(await metric('timeouts_total', 's3')).toBeGreaterThan(0);
      const m = await scrape(g.httpPort!);
      expect(m.get('coldtrace_gateway_modbus_unmatched_frames_total{bus="bus1"}')).toBe(0);

      const stored = storedReadings(g);
      // No stored reading carries a value that was sent late...
      const values = new Set(stored.filter((r) => r.tempC !== null).map((r) => Math.round(r.tempC! * 10)));
      expect(late.filter((x) => values.has(x.temp))).toEqual([]);
      // ...and each answered sensor's readings are values it sent in time, in the order sent, each once.
      // On a loaded machine the gateway may see an answer the slave sent in time only after its timeout:
      // then it is missing (never shifted onto a later request), and counted as a late reply or timeout.
      for (const unit of units.filter((u) => u !== 3)) {
        const got = stored
          .filter((r) => r.sensorId === `s${unit}` && r.quality === 'ok')
          .map((r) => Math.round(r.tempC! * 10));
        const want = s.sent.filter((x) => x.unit === unit && !x.late).map((x) => x.temp);
        let at = 0;
        for (const v of got) {
          const i = want.indexOf(v, at);
          expect(
            i,
            `s${unit}: ${v} is not a value sent in time after ${want[at - 1]}`,
          ).toBeGreaterThanOrEqual(at);
          at = i + 1;
        }
        // The last may have been cut by the stop; every other missing one was counted.
        const missing = want.length - got.length;
        if (missing > 1)
          expect(
            ((await metric('late_replies_total', `s${unit}`)) ?? 0) +
              ((await metric('timeouts_total', `s${unit}`)) ?? 0),
            `s${unit}: ${missing} in-time values missing`,
          ).toBeGreaterThanOrEqual(missing - 1);
        if (want.length > 1) expect(got.length, `s${unit}`).toBeGreaterThan(0);
      }
      if (lateEvery === 2) expect(stored.some((r) => r.sensorId === 's2' && r.quality === 'ok')).toBe(true);
      else expect(stored.filter((r) => r.sensorId === 's2').every((r) => r.quality === 'timeout')).toBe(true);
      expect(stored.filter((r) => r.sensorId === 's3').every((r) => r.quality === 'timeout')).toBe(true);
    });
  },
);
