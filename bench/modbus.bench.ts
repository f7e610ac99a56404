/**
 * Gateway CPU cost per Modbus reading: the bus module polls simulated XY-MD02 sensors on a real socat
 * pty at a fast interval; the simulator runs in a child process so only the gateway's CPU is measured
 * (process.cpuUsage, user + system). Prints JSON lines: { bench, metric, value, unit, ... }.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { GatewayContext } from '@coldtrace/edge';
import { createModbusBusModule } from '@coldtrace/edge';
import type { Reading } from '@coldtrace/shared';
import { systemClock } from '@coldtrace/shared';
import { pino } from 'pino';

const SENSORS = 4;
const POLL_MS = 20;
const TARGET_READINGS = Number(process.env.MODBUS_BENCH_READINGS ?? 3000);
const MAX_WALL_MS = 60_000;

const dir = mkdtempSync(join(tmpdir(), 'coldtrace-bench-modbus-'));
const profile = join(dir, 'sim.json');
writeFileSync(
  profile,
  JSON.stringify({
    // The gateway's CPU per reading, not the line: answers at once instead of after 9,600-baud wire time.
    wireTime: false,
    sensors: Array.from({ length: SENSORS }, (_, i) => ({
      address: i + 1,
      profile: { kind: 'steady', tempC: -18 + i * 5, noiseC: 0.2, rh: 50 },
    })),
  }),
);
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    "import { runSimCli } from '@coldtrace/firmware-sim/cli'; await runSimCli(['modbus', ...process.argv.slice(1)]);",
    '--',
    '--profile',
    profile,
    '--dir',
    dir,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
// never leave the simulator (and its socat) behind, even when the bench fails
process.on('exit', () => child.kill('SIGTERM'));
const devicePath = await new Promise<string>((resolve, reject) => {
  const rl = createInterface({ input: child.stdout! });
  rl.once('line', resolve);
  child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
});

let count = 0;
let ok = 0;
const ctx: GatewayContext = {
  gatewayId: 'bench',
  clock: systemClock,
  log: pino({ level: 'silent' }),
  records: {
    readings(rs: Omit<Reading, 'seq'>[]) {
      count += rs.length;
      ok += rs.filter((r) => r.quality === 'ok').length;
    },
    movements() {},
    alarms() {},
  },
  health: { reader() {}, sensor() {} },
  onReadings: () => () => {},
};
const mod = createModbusBusModule({
  id: 'bench',
  path: devicePath,
  timeoutMs: 200,
  retryDelayMs: 0,
  sensors: Array.from({ length: SENSORS }, (_, i) => ({
    id: `s${i + 1}`,
    address: i + 1,
    locationId: 'bench-room',
    pollMs: POLL_MS,
  })),
});
await mod.start(ctx);
// warm-up
while (count < 200) await new Promise((r) => setTimeout(r, 10));
const c0 = count;
const ok0 = ok;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
while (count - c0 < TARGET_READINGS && performance.now() - t0 < MAX_WALL_MS)
  await new Promise((r) => setTimeout(r, 20));
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - t0;
const n = count - c0;
await mod.stop();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dir, { recursive: true, force: true });

const cpuUs = cpu.user + cpu.system;
const common = {
  sensors: SENSORS,
  pollMs: POLL_MS,
  readings: n,
  okReadings: ok - ok0,
  wallMs: Math.round(wallMs),
};
const line = (metric: string, value: number, unit: string) =>
  process.stdout.write(`${JSON.stringify({ bench: 'modbus', metric, value, unit, ...common })}\n`);
line('gateway_cpu_per_reading', Math.round((cpuUs / n) * 10) / 10, 'us');
line('readings_per_second', Math.round((n / wallMs) * 1000 * 10) / 10, '1/s');
line('gateway_cpu_utilisation', Math.round((cpuUs / 1000 / wallMs) * 1000) / 10, '%');
