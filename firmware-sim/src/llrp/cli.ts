import { readFileSync } from 'node:fs';
import { ColdtraceError } from '@coldtrace/shared';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { SimCliOptions } from '../cli.js';
import { startLlrpSimulator } from './simulator.js';

const epc = z.string().regex(/^(?:[0-9A-Fa-f]{4}){2,31}$/, 'EPC must be hex of whole 16-bit words');

/** A timeline of what happens in front of the simulated portal. */
export const llrpScenarioSchema = z
  .object({
    seed: z.number().int().default(1),
    keepaliveMs: z.number().int().min(0).optional(),
    reportEveryTags: z.number().int().min(0).max(65535).optional(),
    /** DeviceManufacturerName (IANA PEN) the reader reports; 25882 (Impinj, default) takes Impinj extensions. */
    manufacturer: z.number().int().min(0).max(0xffffffff).optional(),
    outsideAntennas: z.array(z.number().int().min(1)).min(1).default([1, 2]),
    insideAntennas: z.array(z.number().int().min(1)).min(1).default([3, 4]),
    /** Keep serving after the timeline ends (until SIGINT or SIGTERM). */
    hold: z.boolean().default(true),
    timeline: z.array(
      z.discriminatedUnion('action', [
        z
          .object({
            atMs: z.number().int().min(0),
            action: z.literal('pass'),
            direction: z.enum(['in', 'out']),
            epcs: z.array(epc).min(1),
            durationMs: z.number().int().min(100).default(1500),
          })
          .strict(),
        z
          .object({
            atMs: z.number().int().min(0),
            action: z.literal('present'),
            side: z.enum(['outside', 'inside']),
            epcs: z.array(epc).min(1),
            durationMs: z.number().int().min(100).default(3000),
          })
          .strict(),
        z
          .object({
            atMs: z.number().int().min(0),
            action: z.literal('stray'),
            epcs: z.array(epc).min(1),
            durationMs: z.number().int().min(100).default(3000),
          })
          .strict(),
        z.object({ atMs: z.number().int().min(0), action: z.literal('drop') }).strict(),
        z
          .object({ atMs: z.number().int().min(0), action: z.literal('stall'), ms: z.number().int().min(1) })
          .strict(),
        z
          .object({
            atMs: z.number().int().min(0),
            action: z.literal('garbage'),
            bytes: z.number().int().min(1),
          })
          .strict(),
      ]),
    ),
  })
  .strict();
export type LlrpScenario = z.infer<typeof llrpScenarioSchema>;

/** Parses a YAML/JSON scenario file; errors name the path of each problem. */
export function loadLlrpScenario(text: string, source = 'scenario'): LlrpScenario {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ColdtraceError('invalid_scenario', `${source}: not YAML/JSON: ${(err as Error).message}`);
  }
  const r = llrpScenarioSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ColdtraceError('invalid_scenario', `${source} is invalid:\n${lines.join('\n')}`);
  }
  return r.data;
}

/** Resolves on SIGINT, SIGTERM or `signal`; `dispose` removes the handlers. */
function stopRequest(signal?: AbortSignal) {
  let stopped = false;
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  const done = () => {
    stopped = true;
    resolve();
  };
  process.once('SIGINT', done);
  process.once('SIGTERM', done);
  signal?.addEventListener('abort', done, { once: true });
  if (signal?.aborted) done();
  return {
    promise,
    get stopped() {
      return stopped;
    },
    /** Waits `ms`, or less if a stop comes first. */
    sleep(ms: number): Promise<void> {
      return new Promise<void>((r) => {
        const t = setTimeout(r, ms);
        void promise.then(() => {
          clearTimeout(t);
          r();
        });
      });
    },
    dispose() {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      signal?.removeEventListener('abort', done);
    },
  };
}

/**
 * `coldtrace sim llrp [--port N] [--host H] [--scenario F]` (parsed in `../cli.ts`): serves a simulated
 * reader and plays F once a client has started a ROSpec. The first line printed is
 * `{"msg":"llrp simulator listening","host":H,"port":P}` with the bound port (so `--port 0` is usable).
 * SIGINT or SIGTERM stops it cleanly at any point.
 */
export async function runLlrpSim(
  args: { port: number; host: string; scenarioFile?: string | undefined },
  opts: SimCliOptions = {},
): Promise<void> {
  const out = opts.out ?? ((line: string) => console.log(line));
  const { port, host, scenarioFile: file } = args;
  const scenario = file
    ? loadLlrpScenario(readFileSync(file, 'utf8'), file)
    : llrpScenarioSchema.parse({ timeline: [] });
  const sim = await startLlrpSimulator({
    port,
    host,
    seed: scenario.seed,
    outsideAntennas: scenario.outsideAntennas,
    insideAntennas: scenario.insideAntennas,
    ...(scenario.keepaliveMs === undefined ? {} : { keepaliveMs: scenario.keepaliveMs }),
    ...(scenario.reportEveryTags === undefined ? {} : { reportEveryTags: scenario.reportEveryTags }),
    ...(scenario.manufacturer === undefined ? {} : { manufacturer: scenario.manufacturer }),
  });
  const stop = stopRequest(opts.signal);
  out(JSON.stringify({ msg: 'llrp simulator listening', host, port: sim.port }));
  try {
    await Promise.race([sim.waitActive(24 * 3600 * 1000).catch(() => {}), stop.promise]);
    const radio = sim.appliedRadio();
    if (!stop.stopped && radio) {
      // The radio settings the client's ROSpec set, per antenna ID (others: the reader's own).
      const perAntenna = (m: ReadonlyMap<number, unknown>) => Object.fromEntries(m);
      out(
        JSON.stringify({
          msg: 'rospec started',
          txPowerDbm: perAntenna(radio.txPowerDbm),
          searchMode: perAntenna(radio.searchMode),
        }),
      );
    }
    const start = Date.now();
    const running: Promise<void>[] = [];
    for (const step of [...scenario.timeline].sort((a, b) => a.atMs - b.atMs)) {
      if (stop.stopped) break;
      const wait = start + step.atMs - Date.now();
      if (wait > 0) await stop.sleep(wait);
      if (stop.stopped) break;
      out(
        JSON.stringify({
          msg: 'scenario step',
          ...step,
          epcs: 'epcs' in step ? step.epcs.length : undefined,
        }),
      );
      switch (step.action) {
        case 'pass':
          running.push(
            sim.pass(
              step.epcs.map((e) => ({ epc: e.toUpperCase(), direction: step.direction })),
              step,
            ),
          );
          break;
        case 'present':
          running.push(
            sim.present(
              step.epcs.map((e) => ({ epc: e.toUpperCase(), side: step.side })),
              step,
            ),
          );
          break;
        case 'stray':
          running.push(
            sim.stray(
              step.epcs.map((e) => e.toUpperCase()),
              step,
            ),
          );
          break;
        case 'drop':
          sim.inject.drop();
          break;
        case 'stall':
          sim.inject.stall(step.ms);
          break;
        case 'garbage':
          sim.inject.garbage(step.bytes);
          break;
      }
    }
    await Promise.race([Promise.all(running), stop.promise]);
    if (!stop.stopped) {
      out(JSON.stringify({ msg: 'scenario done', stats: { ...sim.stats, sentIds: undefined } }));
      if (scenario.hold) await stop.promise;
    }
  } finally {
    stop.dispose();
    await sim.close();
    out(JSON.stringify({ msg: 'llrp simulator stopped', stats: { ...sim.stats, sentIds: undefined } }));
  }
}
