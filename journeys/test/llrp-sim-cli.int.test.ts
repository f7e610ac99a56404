import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlrpReaderConnector } from '@coldtrace/edge';
import { loadLlrpScenario } from '@coldtrace/firmware-sim';
import type { TagRead } from '@coldtrace/shared/llrp';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '../../bin/coldtrace.mjs');
const EXAMPLE = join(here, '../../firmware-sim/examples/llrp-dock-door.yaml');

interface Sim {
  child: ChildProcess;
  lines: () => Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the real `coldtrace sim llrp` process and collects its JSON status lines. */
function spawnSim(args: string[]): Sim {
  const child = spawn(process.execPath, [BIN, 'sim', 'llrp', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  return {
    child,
    lines: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stderr: () => err,
    exited,
  };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('coldtrace sim llrp (the CLI as a process)', () => {
  it('serves the example scenario on --port 0, reports tags to the edge connector, stops on SIGTERM', async () => {
    const scenario = loadLlrpScenario(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
    const firstPass = scenario.timeline[0]!;
    expect(firstPass.action).toBe('pass');
    const passEpcs = 'epcs' in firstPass ? firstPass.epcs : [];
    const sim = spawnSim(['--port', '0', '--host', '127.0.0.1', '--scenario', EXAMPLE]);
    cleanups.push(() => sim.child.kill('SIGKILL'));
    await until(() => sim.lines().length > 0, 'the listening line', { timeoutMs: 30_000 });
    const listening = sim.lines()[0]!;
    expect(listening).toMatchObject({ msg: 'llrp simulator listening', host: '127.0.0.1' });
    const port = listening['port'] as number;
    expect(port).toBeGreaterThan(0);

    const reads: TagRead[] = [];
    const c = new LlrpReaderConnector({
      host: '127.0.0.1',
      port,
      connectTimeoutMs: 3000,
      keepaliveMs: 1000,
      responseTimeoutMs: 3000,
      reconnect: { initialMs: 100, maxMs: 500 },
      rospecId: 1,
      antennas: [],
      reportEveryTags: 1,
      onTags: (r) => reads.push(...r),
    });
    cleanups.push(() => c.stop());
    c.start();
    await until(() => passEpcs.every((e) => reads.some((r) => r.epc === e)), 'every case of the first pass');
    expect(reads.every((r) => r.antennaId !== null && [1, 2, 3, 4].includes(r.antennaId))).toBe(true);
    expect(sim.lines().some((l) => l['msg'] === 'scenario step' && l['action'] === 'pass')).toBe(true);
    // The radio settings the ROSpec set, per antenna: none here (the reader's own).
    expect(sim.lines()).toContainEqual({ msg: 'rospec started', txPowerDbm: {}, searchMode: {} });

    sim.child.kill('SIGTERM');
    expect(await sim.exited).toEqual({ code: 0, signal: null });
    expect(sim.lines().at(-1)).toMatchObject({ msg: 'llrp simulator stopped' });
    expect(sim.stderr()).toBe('');
    await until(() => c.state !== 'connected', 'the connector notices the reader is gone');
  });

  it('stops cleanly on SIGTERM while still waiting for a client', async () => {
    const sim = spawnSim(['--port', '0', '--host', '127.0.0.1', '--scenario', EXAMPLE]);
    cleanups.push(() => sim.child.kill('SIGKILL'));
    await until(() => sim.lines().length > 0, 'the listening line', { timeoutMs: 30_000 });
    sim.child.kill('SIGTERM');
    expect(await sim.exited).toEqual({ code: 0, signal: null });
    expect(sim.lines().map((l) => l['msg'])).toEqual(['llrp simulator listening', 'llrp simulator stopped']);
  });
});
