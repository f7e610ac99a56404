import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  headerText,
  monthPeriod,
  readingText,
  trailerText,
} from '../../src/domain/reading-archive-format.js';
import { readArchiveFile } from '../../src/store/archive-file.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { createReadingArchive, listReadingArchives } from '../../src/store/reading-archives.js';
import { archiveRoundTrip } from './reading-archives-suite.js';

// docs/operations.md "Archives of raw readings" on SQLite (the PostgreSQL run is reading-archives.pg.svc.test.ts).

describe('archives of raw readings on SQLite', () => {
  let dir: string;
  let store: CloudStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-archives-'));
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'cloud.db')}`));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports a month, verifies it, finds a changed file or record, restores without duplicates', async () => {
    await archiveRoundTrip(store, join(dir, 'archives'));
  });

  it('refuses a missing file, a foreign one, readings out of order or outside the month, a wrong trailer', async () => {
    const file = join(dir, 'x.ndjson.gz');
    await expect(readArchiveFile(file)).rejects.toThrow('ENOENT');
    const h = monthPeriod('2026-11');
    const r = (seq: number, gw = 'gw-a', ts = h.fromTs) =>
      readingText({
        gateway_id: gw,
        seq,
        sensor_id: 's1',
        location_id: 'room-1',
        ts,
        temp_c: 5,
        rh: null,
        quality: 'ok',
        received_at: ts,
      });
    const cases: Array<[string, string]> = [
      ['{"hello":1}\n', 'line 1 is not a coldtrace.readings-archive v1 header'],
      [headerText(h) + r(2) + r(1) + trailerText(2), 'line 3: readings out of order'],
      [headerText(h) + r(1, 'gw-b') + r(2, 'gw-a') + trailerText(2), 'line 3: readings out of order'],
      [headerText(h) + r(1, 'gw-a', h.toTs) + trailerText(1), 'line 2: reading time outside 2026-11'],
      [headerText(h) + r(1) + r(2) + trailerText(3), 'the trailer counts 3 readings, the file holds 2'],
      [headerText(h) + r(1) + r(2), 'the trailer is missing (truncated file)'],
    ];
    for (const [text, problem] of cases) {
      writeFileSync(file, gzipSync(text));
      await expect(readArchiveFile(file)).rejects.toThrow(problem);
    }
    writeFileSync(file, gzipSync(headerText(h) + r(1) + r(2) + trailerText(2)));
    expect(await readArchiveFile(file)).toMatchObject({ period: '2026-11', rows: 2 });
  });

  it('refuses to write over a file left without a record, and leaves it', async () => {
    const archives = join(dir, 'archives');
    mkdirSync(archives);
    const orphan = join(archives, 'readings-2026-11.ndjson.gz');
    writeFileSync(orphan, 'left by a create that did not finish');
    await expect(
      createReadingArchive(store.db, { period: '2026-11', dir: archives, actor: 'cli:qa', now: 0 }),
    ).rejects.toThrow(`${orphan} exists without a record`);
    expect(readFileSync(orphan, 'utf8')).toBe('left by a create that did not finish');
    expect(await listReadingArchives(store.db)).toEqual([]);
  });
});
