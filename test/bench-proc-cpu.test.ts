import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { cpuDelta, findPids, treeCpuSeconds } from '../bench/proc-cpu.js';

// The CPU accounting of `npm run bench -- scale` (bench/proc-cpu.ts): a process tree's CPU between two
// snapshots includes a child that ran and exited in between (reaped: its time is in the parent's cutime).

/** Burns `ms` of user CPU (not wall time: the machine may be busy). */
const burn = (ms: number) =>
  `{ const u0 = process.cpuUsage().user; while (process.cpuUsage().user - u0 < ${ms * 1000}); }`;

const PARENT = `
const { spawnSync } = require('node:child_process');
process.stdout.write('ready\\n');
process.stdin.once('data', () => {
  const r = spawnSync(process.execPath, ['-e', ${JSON.stringify(burn(400))}]);
  if (r.status !== 0) process.exit(1);
  ${burn(200)}
  process.stdout.write('done\\n');
});
`;

// bench/proc-cpu.ts reads /proc, which only Linux has.
const skip = process.platform === 'linux' ? null : `/proc is Linux only (this is ${process.platform})`;
if (skip) console.warn(`[skip] bench/proc-cpu.ts tree CPU accounting: ${skip}`);

describe.skipIf(skip !== null)('bench/proc-cpu.ts', () => {
  it("counts a tree's CPU, a child that exited in between included", { timeout: 120_000 }, async () => {
    const p = spawn(process.execPath, ['-e', PARENT], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_PROC_CPU_TEST: String(process.pid) },
    });
    try {
      const lines: string[] = [];
      p.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
      while (!lines.includes('ready')) await once(p.stdout!, 'data');
      expect(findPids('node', `BENCH_PROC_CPU_TEST=${process.pid}`)).toEqual([p.pid]);
      const before = treeCpuSeconds({ tree: [p.pid!] });
      p.stdin!.write('go\n');
      while (!lines.includes('done')) await once(p.stdout!, 'data');
      // The child is gone: only its parent's cutime holds its 400 ms.
      expect(findPids('node', `BENCH_PROC_CPU_TEST=${process.pid}`)).toEqual([p.pid]);
      const used = cpuDelta(before, treeCpuSeconds({ tree: [p.pid!] })).tree!;
      expect(used).toBeGreaterThanOrEqual(0.58);
      expect(used).toBeLessThan(5);
    } finally {
      p.kill();
    }
  });
});
