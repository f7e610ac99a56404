import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runArchiveCli } from '../../src/cli/archive-cli.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { ingestTwoMonths } from '../store/reading-archives-suite.js';

// `coldtrace archive create|list|verify|restore` (docs/operations.md "Archives of raw readings"), run as the
// command runs them, on a SQLite file and a config naming it and the archives' directory.

describe('coldtrace archive', () => {
  let dir: string;
  let out: string[];
  const printed = () => out.splice(0).join('');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-archive-cli-'));
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A SQLite file with two months of readings, and a config naming it and the archives' directory. */
  async function twoMonthsConfigured(): Promise<string> {
    const db = `sqlite:${join(dir, 'cloud.db')}`;
    const store = new CloudStore(await openDatabase(db));
    await ingestTwoMonths(store);
    await store.close();
    const config = join(dir, 'cloud.yaml');
    writeFileSync(config, `database: ${db}\nretention:\n  archiveDir: ${join(dir, 'archives')}\n`);
    return config;
  }

  it('creates, lists, verifies (exit 1 on a changed file) and restores an archive', async () => {
    const config = await twoMonthsConfigured();

    expect(await runArchiveCli(['list', '--config', config])).toBe(0);
    expect(printed()).toBe('no archives\n');
    expect(await runArchiveCli(['create', '--period', '2026-11', '--config', config])).toBe(0);
    expect(printed()).toMatch(
      /^archived readings-2026-11 {2}2026-11 {2}\d+ readings .* sha256 [0-9a-f]{64} /,
    );
    expect(await runArchiveCli(['list', '--config', config, '--json'])).toBe(0);
    const [listed] = printed()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(listed).toMatchObject({
      id: 'readings-2026-11',
      path: join(dir, 'archives', 'readings-2026-11.ndjson.gz'),
    });
    expect(await runArchiveCli(['verify', '--config', config])).toBe(0);
    expect(printed()).toContain('1 archive(s) verified: intact');

    // Moved elsewhere: found by --dir; the config's directory no longer has it.
    const moved = join(dir, 'cold');
    renameSync(join(dir, 'archives'), moved);
    expect(await runArchiveCli(['verify', 'readings-2026-11', '--config', config])).toBe(1);
    expect(printed()).toContain('ENOENT');
    expect(await runArchiveCli(['verify', 'readings-2026-11', '--config', config, '--dir', moved])).toBe(0);
    printed();

    expect(await runArchiveCli(['restore', 'readings-2026-11', '--config', config, '--dir', moved])).toBe(0);
    expect(printed()).toMatch(
      /^restored readings-2026-11: 0 readings put back, \d+ were still stored, 0 deletion records cleared\n$/,
    );

    writeFileSync(join(moved, 'readings-2026-11.ndjson.gz'), 'not gzip');
    expect(await runArchiveCli(['verify', '--config', config, '--dir', moved])).toBe(1);
    expect(printed()).toContain('1 archive(s) verified: PROBLEMS FOUND');
    await expect(
      runArchiveCli(['restore', 'readings-2026-11', '--config', config, '--dir', moved]),
    ).rejects.toThrow('failed verification');
  });

  it('prune deletes only what nothing needs: readings at locations without master data stay', async () => {
    const config = await twoMonthsConfigured();
    await expect(runArchiveCli(['prune', 'readings-2026-11', '--config', config])).rejects.toThrow(
      'no archive readings-2026-11',
    );
    expect(await runArchiveCli(['create', '--period', '2026-11', '--config', config])).toBe(0);
    printed();
    expect(await runArchiveCli(['prune', 'readings-2026-11', '--config', config])).toBe(0);
    // gw-b's batch and gw-a's first are at room-1, not in master data; gw-a's second crosses into December.
    expect(printed()).toBe(
      'pruned readings-2026-11: 0 batches deleted (0 readings), 0 deleted before; kept: 1 outside_archive, 2 unknown_location\n',
    );
  });

  it('refuses a config whose retention is wrong, naming the path, and create without a directory', async () => {
    const config = join(dir, 'cloud.yaml');
    for (const retention of ['  archiveDir: ""', '  archiveDir: /x\n  keepDays: 3']) {
      writeFileSync(config, `database: sqlite:${join(dir, 'cloud.db')}\nretention:\n${retention}\n`);
      await expect(runArchiveCli(['list', '--config', config])).rejects.toThrow(
        /invalid config: .*retention/,
      );
    }
    writeFileSync(config, `database: sqlite:${join(dir, 'cloud.db')}\n`);
    await expect(runArchiveCli(['create', '--period', '2026-11', '--config', config])).rejects.toThrow(
      '--dir is required (or a --config with retention.archiveDir)',
    );
  });
});
