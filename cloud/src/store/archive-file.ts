import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import {
  type ArchivedReading,
  type ArchiveHeader,
  ArchiveLineReader,
} from '../domain/reading-archive-format.js';

// The archive file on disk (domain/reading-archive-format.ts has its lines): written atomically, read back
// through with every line checked.

/** What reading an archive file back found: its bytes' SHA-256, its content and its readings. */
export interface ArchiveFileRead extends ArchiveHeader {
  sha256: string;
  bytes: number;
  rows: number;
  /** SHA-256 of the uncompressed text: what was exported, whatever the compression. */
  contentSha256: string;
}

/**
 * Reads an archive file through, checking every line (`ArchiveLineReader`); `onRow` gets each reading in
 * file order (awaited: a restore inserts as it reads). Throws on a missing, unreadable or malformed file.
 */
export async function readArchiveFile(
  path: string,
  onRow?: (row: ArchivedReading) => Promise<void> | void,
): Promise<ArchiveFileRead> {
  const fileHash = createHash('sha256');
  const contentHash = createHash('sha256');
  const reader = new ArchiveLineReader();
  let bytes = 0;
  const src = createReadStream(path);
  src.on('data', (c) => {
    fileHash.update(c);
    bytes += c.length;
  });
  // The pipeline rejects with an AbortError when its last stage throws: keep the stage's own error.
  let failure: unknown;
  await pipeline(src, createGunzip(), async (source: AsyncIterable<Buffer>) => {
    try {
      let rest = '';
      for await (const chunk of source) {
        contentHash.update(chunk);
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop()!;
        for (const line of lines) {
          const row = reader.line(line);
          if (row && onRow) await onRow(row);
        }
      }
      if (rest !== '') throw new Error('the last line is incomplete (truncated file)');
    } catch (err) {
      failure = err;
      throw err;
    }
  }).catch((err: unknown) => {
    throw failure ?? err;
  });
  const h = reader.finish();
  return {
    ...h,
    sha256: fileHash.digest('hex'),
    bytes,
    contentSha256: contentHash.digest('hex'),
  };
}

/** Writes `path` from `text` atomically: a temporary file, fsync, a link that never replaces a file, fsync of the directory. */
export async function writeAtomically(path: string, text: AsyncIterable<string>): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await pipeline(Readable.from(text), createGzip(), createWriteStream(tmp, { flags: 'wx' }));
    const f = await open(tmp, 'r');
    await f.sync().finally(() => f.close());
    await link(tmp, path).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EEXIST' ? new Error(`${path} already exists: not overwritten`) : err;
    });
    const d = await open(dirname(path), 'r');
    await d.sync().finally(() => d.close());
  } finally {
    await unlink(tmp).catch(() => {});
  }
}
