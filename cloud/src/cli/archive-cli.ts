import { parseCommand, pickCommand } from '@coldtrace/shared/cli';
import { loadCloudConfig } from '../config.js';
import { CloudStore } from '../store/cloud-store.js';
import { openDatabase } from '../store/db.js';
import {
  archivePath,
  createReadingArchive,
  listReadingArchives,
  type ReadingArchive,
  readingArchive,
  restoreReadingArchive,
  verifyReadingArchive,
} from '../store/reading-archives.js';
import { pruneReadingArchive } from '../store/reading-prune.js';
import { cliActor } from './cli-actor.js';
import { databaseOf } from './cli-database.js';
import {
  ARCHIVE_COMMANDS,
  ARCHIVE_CREATE_COMMAND,
  ARCHIVE_LIST_COMMAND,
  ARCHIVE_PRUNE_COMMAND,
  ARCHIVE_RESTORE_COMMAND,
  ARCHIVE_VERIFY_COMMAND,
} from './commands.js';

const out = (text: string) => process.stdout.write(text);

/** The archives' directory: `--dir`, else the config's `retention.archiveDir`. */
function archiveDirOf(values: { dir?: string | undefined; config?: string | undefined }): string | undefined {
  if (values.dir) return values.dir;
  return values.config ? loadCloudConfig(values.config).retention?.archiveDir : undefined;
}

async function withStore<T>(
  values: { database?: string | undefined; config?: string | undefined },
  fn: (store: CloudStore) => Promise<T>,
): Promise<T> {
  const store = new CloudStore(await openDatabase(databaseOf(values)));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const line = (a: ReadingArchive, dir?: string) =>
  `${a.id}  ${a.period}  ${a.rows} readings  ${a.bytes} bytes  sha256 ${a.sha256}  ${archivePath(a, dir)}\n`;

/**
 * `coldtrace archive create|list|verify|restore|prune` (docs/operations.md "Archives of raw readings"). Exit 0 =
 * done (verify: every archive intact), 1 = failed (verify: a problem, one line each).
 */
export async function runArchiveCli(argv: string[]): Promise<number> {
  const picked = pickCommand(ARCHIVE_COMMANDS, argv);
  if (picked.command === ARCHIVE_CREATE_COMMAND) {
    const { values, fail } = parseCommand(ARCHIVE_CREATE_COMMAND, picked.argv);
    const dir = archiveDirOf(values);
    if (!dir) return fail('--dir is required (or a --config with retention.archiveDir)');
    return withStore(values, async (store) => {
      const a = await createReadingArchive(store.db, {
        period: values.period,
        dir,
        actor: cliActor(),
        now: Date.now(),
      });
      out(`archived ${line(a)}`);
      return 0;
    });
  }
  if (picked.command === ARCHIVE_LIST_COMMAND) {
    const { values } = parseCommand(ARCHIVE_LIST_COMMAND, picked.argv);
    return withStore(values, async (store) => {
      const all = await listReadingArchives(store.db);
      if (values.json) for (const a of all) out(`${JSON.stringify(a)}\n`);
      else if (all.length === 0) out('no archives\n');
      else for (const a of all) out(line(a));
      return 0;
    });
  }
  if (picked.command === ARCHIVE_VERIFY_COMMAND) {
    const { values, args, fail } = parseCommand(ARCHIVE_VERIFY_COMMAND, picked.argv);
    const dir = archiveDirOf(values);
    return withStore(values, async (store) => {
      const all = args.id ? [await readingArchive(store.db, args.id)] : await listReadingArchives(store.db);
      if (all[0] === undefined && args.id) return fail(`no archive ${args.id}`);
      let ok = true;
      for (const a of all as ReadingArchive[]) {
        const c = await verifyReadingArchive(store.db, a, dir);
        ok &&= c.ok;
        out(
          c.ok
            ? `${a.id}: intact (${a.rows} readings, ${c.batches} digest batches proven)\n`
            : c.problems.map((p) => `${a.id}: ${p}\n`).join(''),
        );
      }
      out(`${all.length} archive(s) verified: ${ok ? 'intact' : 'PROBLEMS FOUND'}\n`);
      return ok ? 0 : 1;
    });
  }
  if (picked.command === ARCHIVE_PRUNE_COMMAND) {
    const { values, args, fail } = parseCommand(ARCHIVE_PRUNE_COMMAND, picked.argv);
    const dir = archiveDirOf(values);
    return withStore(values, async (store) => {
      const a = await readingArchive(store.db, args.id);
      if (!a) return fail(`no archive ${args.id}`);
      const r = await pruneReadingArchive(store.db, a, { actor: cliActor(), now: Date.now(), dir });
      const kept = Object.entries(r.kept)
        .filter(([, n]) => n > 0)
        .map(([why, n]) => `${n} ${why}`);
      out(
        `pruned ${r.id}: ${r.batches} batches deleted (${r.readings} readings), ${r.already} deleted before; kept: ${kept.join(', ') || 'none'}\n`,
      );
      return 0;
    });
  }
  const { values, args, fail } = parseCommand(ARCHIVE_RESTORE_COMMAND, picked.argv);
  const dir = archiveDirOf(values);
  return withStore(values, async (store) => {
    const a = await readingArchive(store.db, args.id);
    if (!a) return fail(`no archive ${args.id}`);
    const r = await restoreReadingArchive(store.db, a, { actor: cliActor(), now: Date.now(), dir });
    out(
      `restored ${r.id}: ${r.inserted} readings put back, ${r.present} were still stored, ${r.cleared} deletion records cleared\n`,
    );
    return 0;
  });
}
