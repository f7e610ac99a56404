import { readFileSync } from 'node:fs';
import { ColdtraceError } from '@coldtrace/shared';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { SimCliOptions } from '../cli.js';
import { simProfileSchema } from './profiles.js';
import { simRegisterMapSchema } from './register-encoding.js';
import { startModbusSimulator } from './simulator.js';

/** The file given to `coldtrace sim modbus --profile F` (YAML or JSON). */
export const modbusSimFileSchema = z
  .object({
    seed: z.number().int().default(1),
    baudRate: z.number().int().positive().default(9600),
    /** Answer after the exchange's time on a real line at `baudRate` (simulator.ts `wireTime`). */
    wireTime: z.boolean().default(true),
    turnaroundMs: z.number().min(0).max(60_000).default(2),
    sensors: z
      .array(
        z
          .object({
            address: z.number().int().min(1).max(247),
            profile: simProfileSchema,
            map: simRegisterMapSchema.optional(),
            /** A slow device: answers this much later than the wire time. */
            replyDelayMs: z.number().min(0).max(60_000).optional(),
            /** The device's line speed (default the bus's `baudRate`). */
            baudRate: z.number().int().positive().optional(),
            /** XY-MD02 calibration offsets (setup registers 0x0103, 0x0104). */
            tempOffsetC: z.number().min(-10).max(10).optional(),
            rhOffset: z.number().min(-10).max(10).optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
export type ModbusSimFile = z.infer<typeof modbusSimFileSchema>;

export function loadModbusSimFile(path: string): ModbusSimFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ColdtraceError('sim_profile_read', `cannot read profile file ${path}: ${String(err)}`);
  }
  let data: unknown;
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ColdtraceError(
      'sim_profile_parse',
      `profile file ${path} is not valid YAML/JSON: ${String(err)}`,
    );
  }
  const r = modbusSimFileSchema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new ColdtraceError('sim_profile_invalid', `profile file ${path} is invalid:\n${issues}`);
  }
  return r.data;
}

/**
 * `coldtrace sim modbus --profile F [--dir D] [--seed N]` (parsed in `../cli.ts`): starts the simulated
 * sensors, prints the device path to give the gateway, and runs until SIGINT/SIGTERM (or `opts.signal`).
 */
export async function runModbusSim(
  args: { profile: string; dir?: string | undefined; seed?: number | undefined },
  opts: SimCliOptions = {},
): Promise<void> {
  const out = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const file = loadModbusSimFile(args.profile);
  const sim = await startModbusSimulator({
    sensors: file.sensors,
    seed: args.seed ?? file.seed,
    baudRate: file.baudRate,
    wireTime: file.wireTime,
    turnaroundMs: file.turnaroundMs,
    ...(args.dir ? { dir: args.dir } : {}),
  });
  out(sim.devicePath);
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    if (opts.signal?.aborted) return done();
    opts.signal?.addEventListener('abort', done, { once: true });
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await sim.close();
}
