import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { openSqliteBuffer } from '../../src/buffer/sqlite-buffer.js';
import { readings } from './fixtures.js';

const writer = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('keeps every committed append when the writing process is killed with SIGKILL mid-write', async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldtrace-crash-'));
  const path = join(dir, 'b.db');
  let lastCommitted = 0;
  for (let round = 0; round < 3; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const target = lastCommitted + 5000;
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) lastCommitted = Number(l.split(' ')[1]);
        if (lastCommitted >= target) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`writer exited (${code}): ${stderr}`));
      });
    });
    await new Promise((r) => child.once('close', r));
    const b = openSqliteBuffer({ path, maxBytes: 1 << 30 });
    // Every append reported as committed is there; the counter never goes back.
    const last = b.lastSeq('readings');
    expect(last).toBeGreaterThanOrEqual(lastCommitted);
    const head = b.peek('readings', { limit: 1 })!;
    let after = head.firstSeq - 1;
    let count = 0;
    for (;;) {
      const p = b.peek('readings', { afterSeq: after, limit: 5000 });
      if (!p) break;
      expect(p.firstSeq).toBe(after + 1);
      count += p.records.length;
      after = p.lastSeq;
    }
    expect(after).toBe(last);
    expect(b.stats().records).toBe(count);
    expect(b.append('readings', readings(1))[0]!.seq).toBe(last + 1);
    lastCommitted = last + 1;
    b.close();
  }
});
