import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteBuffer } from '../../src/buffer/sqlite-buffer.js';
import { runBufferContract } from './buffer-contract.js';
import { alarm, movement, readings } from './fixtures.js';

runBufferContract(
  'sqlite',
  (dir, opts) =>
    openSqliteBuffer({ path: join(dir, 'buffer.db'), maxBytes: opts?.maxBytes ?? 64 * 1024 * 1024, ...opts }),
  // The database and its write-ahead log as they are on disk (WAL index in memory: exclusive locking).
  (dir, into) => {
    for (const f of ['buffer.db', 'buffer.db-wal', 'buffer.db-shm'])
      if (existsSync(join(dir, f))) copyFileSync(join(dir, f), join(into, f));
  },
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
    expect(() => openSqliteBuffer({ path, maxBytes: 1 << 20, lockWaitMs: 0 })).toThrow(
      expect.objectContaining({ code: 'buffer_open_failed', message: expect.stringContaining('in use') }),
    );
    expect(b.stats().records).toBe(1);
    b.close();
    expect(() => openSqliteBuffer({ path, maxBytes: 10 })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
    expect(() => openSqliteBuffer({ path: join(dir, 'missing', 'x.db'), maxBytes: 1 << 20 })).toThrow(
      expect.objectContaining({ code: 'buffer_open_failed' }),
    );
    expect(() => b.stats()).toThrow(expect.objectContaining({ code: 'buffer_closed' }));
  });

  it('has an epoch: made with the database, kept across reopen, new for a new file', () => {
    const path = join(dir, 'e.db');
    const b = openSqliteBuffer({ path, maxBytes: 1 << 20 });
    expect(b.epoch).toMatch(/^[0-9a-f]{16}$/);
    const epoch = b.epoch;
    b.append('readings', readings(3));
    b.close();
    const again = openSqliteBuffer({ path, maxBytes: 1 << 20 });
    expect(again.epoch).toBe(epoch);
    again.close();
    // buffer.db lost or replaced: a fresh file restarts the sequence, in a new epoch.
    rmSync(path);
    const fresh = openSqliteBuffer({ path, maxBytes: 1 << 20 });
    expect(fresh.append('readings', readings(1))[0]!.seq).toBe(1);
    expect(fresh.epoch).not.toBe(epoch);
    fresh.close();
  });

  it('remembers the last state per alarmId after the alarm was acked and across reopen', () => {
    const path = join(dir, 'a.db');
    const b = openSqliteBuffer({ path, maxBytes: 1 << 20 });
    expect(b.alarmState('buffer_high')).toBeUndefined();
    const high = {
      ...alarm(0),
      alarmId: 'buffer_high',
      kind: 'buffer_high' as const,
      severity: 'warning' as const,
    };
    b.append('alarms', [high]);
    expect(b.alarmState('buffer_high')).toMatchObject({ state: 'raised', ts: high.ts });
    b.append('alarms', [{ ...high, state: 'cleared', ts: high.ts + 1 }, alarm(1)]);
    b.ack('alarms', 2);
    b.close();
    const again = openSqliteBuffer({ path, maxBytes: 1 << 20 });
    expect(again.stats().records).toBe(1);
    expect(again.alarmState('buffer_high')).toEqual({ state: 'cleared', ts: high.ts + 1 });
    expect(again.alarmState(alarm(1).alarmId)).toMatchObject({ state: 'raised' });
    again.close();
  });

  it("keeps half of the alarm reserve from the buffer's own alarms, for every other alarm", () => {
    const maxBytes = 100_000;
    const b = openSqliteBuffer({ path: join(dir, 'r.db'), maxBytes, alarmReserveBytes: 8_000 });
    let n = 0;
    try {
      for (;;) b.append('movements', [movement(n++)]);
    } catch (e) {
      expect(e).toMatchObject({ code: 'buffer_full' });
    }
    expect(b.stats().bytes).toBeGreaterThan(maxBytes - 8_000 - 400);
    // buffer_full alarms (as a buggy caller might append them) fill only the lower half of the reserve…
    const full = { ...alarm(0), alarmId: 'buffer_full', kind: 'buffer_full' as const };
    let own = 0;
    try {
      for (;;) {
        b.append('alarms', [{ ...full, ts: full.ts + own }]);
        own++;
      }
    } catch (e) {
      expect(e).toMatchObject({ code: 'buffer_full' });
    }
    expect(own).toBeGreaterThan(0);
    expect(b.stats().bytes).toBeLessThanOrEqual(maxBytes - 4_000);
    // …so temperature alarms still find room.
    const before = b.stats().records;
    for (let i = 0; i < 10; i++) b.append('alarms', [alarm(i)]);
    expect(b.stats().records).toBe(before + 10);
    expect(b.stats().bytes).toBeLessThanOrEqual(maxBytes);
    b.close();
  });
});
