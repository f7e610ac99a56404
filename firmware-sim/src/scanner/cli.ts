import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ColdtraceError } from '@coldtrace/shared';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { SimCliOptions } from '../cli.js';
import { scanFaultsSchema, scanLotSchema, scanPopulation } from './scan-population.js';
import { startScannerSimulator } from './scanner-simulator.js';

/** The file given to `coldtrace sim scanner --profile F` (YAML or JSON). */
export const scannerSimFileSchema = z
  .object({
    seed: z.number().int().default(1),
    baudRate: z.number().int().positive().default(9600),
    prefix: z.string().max(8).default(''),
    suffix: z.string().min(1).max(8).default('\r'),
    /** Time between two scans (an operator scans about one unit a second). */
    intervalMs: z.number().min(0).max(3_600_000).default(1000),
    /** Wait this long before the first scan, so the gateway can open the device. */
    startAfterMs: z.number().min(0).max(3_600_000).default(2000),
    faults: scanFaultsSchema.default({ misread: 0, partial: 0 }),
    lots: z.array(scanLotSchema).min(1),
  })
  .strict();
export type ScannerSimFile = z.infer<typeof scannerSimFileSchema>;

export function loadScannerSimFile(path: string): ScannerSimFile {
  let data: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ColdtraceError('sim_profile_read', `cannot read profile file ${path}: ${String(err)}`);
  }
  const r = scannerSimFileSchema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new ColdtraceError('sim_profile_invalid', `profile file ${path} is invalid:\n${issues}`);
  }
  return r.data;
}

/**
 * `coldtrace sim scanner --profile F [--dir D] [--seed N]` (parsed in `../cli.ts`): a serial scanner on a
 * pseudo-terminal that scans every unit of the profile's lots once, in a random order, with the profile's
 * misreads and partial reads (each followed by a good re-scan); then keeps the device open until
 * SIGINT/SIGTERM (or `opts.signal`), as a scanner left plugged in.
 */
export async function runScannerSim(
  args: { profile: string; dir?: string | undefined; seed?: number | undefined },
  opts: SimCliOptions = {},
): Promise<void> {
  const out = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const file = loadScannerSimFile(args.profile);
  const scans = scanPopulation(file.lots, file.faults, args.seed ?? file.seed);
  const sim = await startScannerSimulator({
    baudRate: file.baudRate,
    prefix: file.prefix,
    suffix: file.suffix,
    ...(args.dir ? { dir: args.dir } : {}),
  });
  const stop = new AbortController();
  const done = () => stop.abort();
  if (opts.signal?.aborted) done();
  opts.signal?.addEventListener('abort', done, { once: true });
  process.once('SIGINT', done);
  process.once('SIGTERM', done);
  try {
    out(JSON.stringify({ msg: 'scanner simulator ready', device: sim.devicePath, scans: scans.length }));
    // Real time between scans: this paces a device, it is not scenario time.
    await sleep(file.startAfterMs, undefined, { signal: stop.signal }).catch(() => {});
    let sent = 0;
    for (const s of scans) {
      if (stop.signal.aborted) break;
      await sim.send(s.code);
      sent++;
      out(JSON.stringify({ msg: 'scan', n: sent, fault: s.fault, code: s.code, label: s.label }));
      await sleep(file.intervalMs, undefined, { signal: stop.signal }).catch(() => {});
    }
    out(JSON.stringify({ msg: 'scanner simulator done', sent }));
    if (!stop.signal.aborted)
      await new Promise((r) => stop.signal.addEventListener('abort', r, { once: true }));
  } finally {
    process.off('SIGINT', done);
    process.off('SIGTERM', done);
    await sim.stop();
  }
}
