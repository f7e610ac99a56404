import { randomBytes } from 'node:crypto';
import { ColdtraceError } from '@coldtrace/shared';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { BufferEvent, StreamName } from './record-buffer.js';

/**
 * Fixed per-record overhead added to the payload length in the byte accounting: the row id, SQLite's
 * cell header and pointer, and page slack. With it the database file stays within 1.3 × maxBytes
 * (about 1.15 × measured; see docs/durability.md and the sqlite-buffer test that checks it).
 */
export const ROW_OVERHEAD_BYTES = 32;

export const sqliteBufferOptionsSchema = z
  .object({
    /** Database file; its directory must exist. WAL and SHM files live beside it. */
    path: z.string().min(1),
    /** Bound on the buffered bytes (stored payload + ROW_OVERHEAD_BYTES per record). */
    maxBytes: z
      .number()
      .int()
      .min(64 * 1024),
    /**
     * FULL (default): a committed append survives power loss. NORMAL: survives a process crash,
     * but a power loss can undo the last appends and acks, and then reassign their sequence numbers
     * (possibly already published): not for compliance data. docs/durability.md.
     */
    synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
    /** Window for thinning: per sensor and window, the min and max reading survive. */
    thinWindowMs: z
      .number()
      .int()
      .positive()
      .default(15 * 60_000),
    /** Readings examined per thinning step. */
    thinChunkRecords: z.number().int().positive().default(5000),
    /** `high` event at this fill ratio… */
    highRatio: z.number().gt(0).lte(1).default(0.8),
    /** …and `normal` once the fill drops below this ratio again (hysteresis). */
    lowRatio: z.number().gt(0).lte(1).default(0.7),
    /**
     * Headroom kept free for alarms: readings and movements are refused above maxBytes − this, the
     * buffer's own alarms (buffer_high, buffer_full) above maxBytes − half of it, so the other half
     * always stays for temperature and sensor alarms.
     */
    alarmReserveBytes: z.number().int().min(0).optional(),
    /**
     * How long opening waits for a file another process holds (a gateway restarted while its old
     * process is still exiting) before it fails with `buffer_open_failed`.
     */
    lockWaitMs: z.number().int().min(0).default(5000),
  })
  .strict()
  .refine((o) => o.lowRatio <= o.highRatio, {
    message: 'lowRatio must not exceed highRatio',
    path: ['lowRatio'],
  });

export type SqliteBufferOptions = z.input<typeof sqliteBufferOptionsSchema> & {
  /** Called after the transaction that caused the event committed (never inside one). */
  onEvent?: (event: BufferEvent) => void;
};

export const STREAM_ID: Record<StreamName, number> = { readings: 1, movements: 2, alarms: 3 };
/** 2: `meta` (the buffer's epoch) and `alarm_state` (last stored state per alarmId). */
export const SCHEMA_VERSION = 2;
/** 2^44 sequence numbers per stream (500 years at 1,000 records/s); ids stay below 2^53. */
export const SEQ_SPAN = 2 ** 44;

export interface StateRow {
  bytes: number;
  records: number;
  refused: number;
  thinned: number;
  thin_cursor: number;
}

/** Opens the database file with the buffer's pragmas and schema, and prepares its statements. */
export function openDatabase(o: z.output<typeof sqliteBufferOptionsSchema>) {
  let db: Database.Database;
  try {
    db = new Database(o.path, { timeout: o.lockWaitMs });
  } catch (err) {
    throw new ColdtraceError(
      'buffer_open_failed',
      `cannot open buffer ${o.path}: ${(err as Error).message}`,
      {
        path: o.path,
      },
    );
  }
  try {
    return prepare(db, o);
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY')
      throw new ColdtraceError(
        'buffer_open_failed',
        `buffer ${o.path} is in use by another process (one gateway per buffer file)`,
        { path: o.path },
      );
    throw err;
  }
}

function prepare(db: Database.Database, o: z.output<typeof sqliteBufferOptionsSchema>) {
  // One writer: a second gateway process on the same file fails loudly instead of interleaving.
  db.pragma('locking_mode = EXCLUSIVE');
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') {
    throw new ColdtraceError('buffer_open_failed', `buffer ${o.path} cannot use WAL (journal_mode=${mode})`);
  }
  // SQLite "PRAGMA synchronous": FULL syncs the WAL on every commit; NORMAL only at checkpoints.
  db.pragma(`synchronous = ${o.synchronous}`);
  // Bound the WAL file left on disk after a checkpoint (default autocheckpoint is 1000 pages).
  db.pragma(`journal_size_limit = ${16 * 1024 * 1024}`);
  // better-sqlite3 builds SQLite with a 16 MB page cache (SQLITE_DEFAULT_CACHE_SIZE=-16000); the buffer
  // appends at the tail and reads and deletes at the head, so SQLite's own default (2 MB) holds both ends
  // of the b-tree. Replaying a 150 MB backlog filled the 16 MB: 14 MB of a gateway's RSS (docs/durability.md).
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);

  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new ColdtraceError(
      'buffer_open_failed',
      `buffer ${o.path} has schema ${version}, newer than ${SCHEMA_VERSION}`,
    );
  }
  // records.id = stream × 2^44 + seq: one integer key (the rowid) keeps each stream in seq order and
  // makes the append a plain b-tree append. payload = the record's wire JSON, seq included.
  db.exec(`
    CREATE TABLE IF NOT EXISTS records (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS kept (id INTEGER PRIMARY KEY);
    CREATE TABLE IF NOT EXISTS thinned (
      stream INTEGER NOT NULL, from_seq INTEGER NOT NULL, to_seq INTEGER NOT NULL,
      PRIMARY KEY (stream, from_seq)) WITHOUT ROWID;
    CREATE UNIQUE INDEX IF NOT EXISTS thinned_to ON thinned (stream, to_seq);
    CREATE TABLE IF NOT EXISTS seqs (stream INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS state (
      id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL, records INTEGER NOT NULL,
      refused INTEGER NOT NULL, thinned INTEGER NOT NULL, thin_cursor INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS alarm_state (
      alarm_id TEXT PRIMARY KEY, state TEXT NOT NULL, ts INTEGER NOT NULL) WITHOUT ROWID;
    INSERT OR IGNORE INTO state VALUES (1, 0, 0, 0, 0, 0);
    INSERT OR IGNORE INTO seqs VALUES (1, 0), (2, 0), (3, 0);
    PRAGMA user_version = ${SCHEMA_VERSION};
  `);
  // The buffer's epoch: a random id made once with the database. Sequence numbers are unique only
  // within an epoch; a lost or replaced buffer.db starts a new one (docs/durability.md "Epoch").
  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?)").run(
    randomBytes(8).toString('hex'),
  );

  const q = {
    insert: db.prepare('INSERT INTO records (id, payload) VALUES (?, ?)'),
    /** INSERT_ROWS rows per statement: one call per 64 records instead of 64 (the append hot path). */
    insertMany: db.prepare(
      `INSERT INTO records (id, payload) VALUES ${Array(INSERT_ROWS).fill('(?, ?)').join(', ')}`,
    ),
    insertKept: db.prepare('INSERT INTO kept (id) VALUES (?)'),
    setSeq: db.prepare('UPDATE seqs SET last_seq = ? WHERE stream = ?'),
    setState: db.prepare(
      'UPDATE state SET bytes = @bytes, records = @records, refused = @refused, thinned = @thinned, thin_cursor = @thin_cursor WHERE id = 1',
    ),
    span: db.prepare('SELECT id, payload FROM records WHERE id > ? AND id <= ? ORDER BY id LIMIT ?'),
    /** The same rows as [id, payload] arrays, for peek: no row object per record on the publish path. */
    spanRows: db
      .prepare('SELECT id, payload FROM records WHERE id > ? AND id <= ? ORDER BY id LIMIT ?')
      .raw(),
    keptIn: db.prepare('SELECT id FROM kept WHERE id >= ? AND id <= ?').pluck(),
    peekRanges: db.prepare(
      'SELECT from_seq, to_seq FROM thinned WHERE stream = ? AND to_seq > ? ORDER BY from_seq LIMIT ?',
    ),
    sumUpTo: db.prepare(
      'SELECT count(*) AS n, coalesce(sum(octet_length(payload)), 0) AS b FROM records WHERE id > ? AND id <= ?',
    ),
    deleteUpTo: db.prepare('DELETE FROM records WHERE id > ? AND id <= ?'),
    deleteKeptUpTo: db.prepare('DELETE FROM kept WHERE id > ? AND id <= ?'),
    deleteRangesUpTo: db.prepare('DELETE FROM thinned WHERE stream = ? AND to_seq <= ?'),
    trimRange: db.prepare(
      'UPDATE thinned SET from_seq = ? WHERE stream = ? AND from_seq <= ? AND to_seq > ?',
    ),
    head: db.prepare('SELECT payload FROM records WHERE id > ? AND id <= ? ORDER BY id LIMIT 1').pluck(),
    deleteOne: db.prepare('DELETE FROM records WHERE id = ?'),
    rangeEndingAt: db.prepare('SELECT from_seq FROM thinned WHERE stream = ? AND to_seq = ?').pluck(),
    rangeStartingAt: db.prepare('SELECT to_seq FROM thinned WHERE stream = ? AND from_seq = ?').pluck(),
    deleteRange: db.prepare('DELETE FROM thinned WHERE stream = ? AND from_seq = ?'),
    insertRange: db.prepare('INSERT INTO thinned (stream, from_seq, to_seq) VALUES (?, ?, ?)'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    setAlarmState: db.prepare(
      'INSERT INTO alarm_state (alarm_id, state, ts) VALUES (?, ?, ?) ON CONFLICT (alarm_id) DO UPDATE SET state = excluded.state, ts = excluded.ts',
    ),
    getAlarmState: db.prepare('SELECT state, ts FROM alarm_state WHERE alarm_id = ?'),
  };
  return { db, q };
}

/** SQLite page cache of the buffer's connection, in KiB (PRAGMA cache_size = -N). */
export const PAGE_CACHE_KIB = 2000;

/** Rows per multi-row INSERT in `append`. */
export const INSERT_ROWS = 64;
