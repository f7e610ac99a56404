import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { openSqliteBuffer, ROW_OVERHEAD_BYTES } from '../../src/buffer/sqlite-buffer.js';
import { reading, readings } from './fixtures.js';

const writer = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('keeps every committed append and every unacked record, content included, when the writer is killed with SIGKILL', async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldtrace-crash-'));
  const path = join(dir, 'b.db');
  let lastCommitted = 0;
  let lastAcked = 0;
  let acks = 0;
  for (let round = 0; round < 3; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // Past at least one ack of this round, so the head moved while the writer ran.
    const target = lastCommitted + 5000;
    const acksBefore = acks;
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          const [what, n] = l.split(' ');
          if (what === 'committed') lastCommitted = Number(n);
          else if (what === 'acked') {
            lastAcked = Number(n);
            acks++;
          }
        }
        if (lastCommitted >= target && acks > acksBefore) {
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
    // An ack reported as done stays done; the head is where an ack of the writer put it (it acks
    // 1,000 behind its head, every 2,000 records), so no record after the last ack was lost.
    const head = b.peek('readings', { limit: 1 })!;
    expect(head.firstSeq - 1).toBeGreaterThanOrEqual(lastAcked);
    expect(last - (head.firstSeq - 1)).toBeGreaterThanOrEqual(1000);
    expect(last - (head.firstSeq - 1)).toBeLessThanOrEqual(1000 + 2000);
    // Every unacked record from the head to the last one, in order, with the content appended.
    let after = head.firstSeq - 1;
    let count = 0;
    for (;;) {
      const p = b.peek('readings', { afterSeq: after, limit: 5000 });
      if (!p) break;
      expect(p.firstSeq).toBe(after + 1);
      expect(p.thinned).toEqual([]);
      p.records.forEach((r, i) => {
        expect(r).toEqual({ ...reading(after + i), seq: after + i + 1 });
      });
      count += p.records.length;
      after = p.lastSeq;
    }
    expect(after).toBe(last);
    expect(count).toBe(last - (head.firstSeq - 1));
    expect(b.stats().records).toBe(count);
    expect(b.append('readings', readings(1, last))[0]!.seq).toBe(last + 1);
    const bytes = b.stats().bytes;
    lastCommitted = last + 1;
    b.close();
    // The size counter committed with the rows matches them (it bounds the buffer).
    expect(storedBytes(path)).toBe(bytes);
  }
});

/** The byte counter as recomputed from the stored rows (payload bytes + overhead per row). */
function storedBytes(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    const { n, b } = db
      .prepare('SELECT count(*) AS n, coalesce(sum(octet_length(payload)), 0) AS b FROM records')
      .get() as {
      n: number;
      b: number;
    };
    return b + n * ROW_OVERHEAD_BYTES;
  } finally {
    db.close();
  }
}
