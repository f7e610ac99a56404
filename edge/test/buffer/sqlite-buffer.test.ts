import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteBuffer } from '../../src/buffer/sqlite-buffer.js';
import { runBufferContract } from './buffer-contract.js';
import { movement, readings } from './fixtures.js';

runBufferContract('sqlite', (dir, opts) =>
  openSqliteBuffer({ path: join(dir, 'buffer.db'), maxBytes: opts?.maxBytes ?? 64 * 1024 * 1024, ...opts }),
);

describe('sqlite buffer specifics', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-sqlite-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the database file within 1.3 × maxBytes while filling, thinning and refusing', () => {
    const path = join(dir, 'b.db');
    const maxBytes = 4 * 1024 * 1024;
    const b = openSqliteBuffer({ path, maxBytes, thinWindowMs: 600_000 });
    let i = 0;
    let refused = false;
    // Readings until thinning and then refusal, with a movement every 100 readings.
    while (!refused) {
      try {
        b.append('readings', readings(500, i, { sensorId: `s${i % 3}` }));
        b.append('movements', [movement(i)]);
      } catch {
        refused = true;
      }
      i += 500;
    }
    expect(b.stats().thinned).toBeGreaterThan(0);
    expect(b.stats().bytes).toBeLessThanOrEqual(maxBytes);
    b.close(); // checkpoints the WAL into the file
    const size = statSync(path).size;
    expect(size).toBeLessThanOrEqual(1.3 * maxBytes);
  });

  it('runs with synchronous=NORMAL too and keeps data across reopen', () => {
    const path = join(dir, 'n.db');
    const b = openSqliteBuffer({ path, maxBytes: 1 << 20, synchronous: 'NORMAL' });
    b.append('readings', readings(10));
    b.close();
    const again = openSqliteBuffer({ path, maxBytes: 1 << 20 });
    expect(again.stats().records).toBe(10);
    again.close();
  });

  it('refuses a second opener of the same file and bad options, with codes', () => {
    const path = join(dir, 'x.db');
    const b = openSqliteBuffer({ path, maxBytes: 1 << 20 });
    b.append('readings', readings(1));
    expect(() => {
      const other = openSqliteBuffer({ path, maxBytes: 1 << 20 });
      try {
        other.append('readings', readings(1));
      } finally {
        other.close();
      }
    }).toThrow();
    b.close();
    expect(() => openSqliteBuffer({ path, maxBytes: 10 })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
    expect(() => openSqliteBuffer({ path: join(dir, 'missing', 'x.db'), maxBytes: 1 << 20 })).toThrow(
      expect.objectContaining({ code: 'buffer_open_failed' }),
    );
    expect(() => b.stats()).toThrow(expect.objectContaining({ code: 'buffer_closed' }));
  });
});
