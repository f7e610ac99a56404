import { createHash, type KeyObject } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ColdtraceError, errorMessage } from '@coldtrace/shared';
import { parseCheckpoint, type SignedCheckpoint } from '../domain/audit-checkpoint.js';

/** Where checkpoints go: a directory (one file each) and/or an append-only file (one JSON line each). */
export interface CheckpointDestination {
  dir?: string | undefined;
  file?: string | undefined;
}

/**
 * The public key beside the checkpoints (in their directory, or the append-only file's), the default key of
 * `audit verify --checkpoints`.
 */
export const PUBLIC_KEY_FILE = 'public-key.pem';

const stamp = (at: number) => new Date(at).toISOString().replace(/[-:]/g, '').replace('.', '');

/**
 * Writes a signed checkpoint: in the directory as `checkpoint-<time>-<seq>-<tag>.json`, created exclusively
 * ('wx': an existing file is never replaced) and read-only; appended to the file (opened for appending
 * only, so earlier lines are never rewritten). Each destination's directory also gets the public key once.
 */
export function writeCheckpoint(
  dest: CheckpointDestination,
  cp: SignedCheckpoint,
  publicKey: KeyObject,
): string[] {
  const written: string[] = [];
  const text = JSON.stringify(cp);
  try {
    if (dest.dir) {
      // The signature's digest in the name: two checkpoints in the same millisecond differ in name unless
      // they are the same checkpoint.
      const tag = createHash('sha256').update(cp.signature).digest('hex').slice(0, 8);
      const path = join(dest.dir, `checkpoint-${stamp(cp.at)}-${cp.audit.seq}-${tag}.json`);
      writeFileSync(path, `${text}\n`, { flag: 'wx', mode: 0o444 });
      written.push(path);
      publicKeyOnce(dest.dir, publicKey);
    }
    if (dest.file) {
      appendFileSync(dest.file, `${text}\n`, { flag: 'a', mode: 0o644 });
      written.push(dest.file);
      publicKeyOnce(dirname(dest.file), publicKey);
    }
  } catch (err) {
    throw new ColdtraceError('checkpoint_write_failed', `cannot write the checkpoint: ${errorMessage(err)}`);
  }
  return written;
}

/** The public key beside the checkpoints, written once (the first key; a rotation leaves it alone). */
function publicKeyOnce(dir: string, publicKey: KeyObject): void {
  try {
    writeFileSync(join(dir, PUBLIC_KEY_FILE), publicKey.export({ type: 'spki', format: 'pem' }), {
      flag: 'wx',
      mode: 0o444,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

export interface ReadCheckpoint {
  source: string;
  checkpoint: SignedCheckpoint | undefined;
  /** Why it is unreadable, when `checkpoint` is undefined. */
  problem: string;
}

/**
 * The checkpoints of a directory (its `*.json` files, by name: by time) or of an append-only file (its
 * lines), each parsed or with why it is not a checkpoint.
 */
export function readCheckpoints(path: string): ReadCheckpoint[] {
  const parsed = (source: string, text: string): ReadCheckpoint => {
    const c = parseCheckpoint(text);
    return typeof c === 'string'
      ? { source, checkpoint: undefined, problem: c }
      : { source, checkpoint: c, problem: '' };
  };
  try {
    if (statSync(path).isDirectory()) {
      return readdirSync(path)
        .filter((n) => n.endsWith('.json'))
        .sort()
        .map((n) => parsed(join(path, n), readFileSync(join(path, n), 'utf8')));
    }
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((line, i) => ({ line, i }))
      .filter(({ line }) => line.trim() !== '')
      .map(({ line, i }) => parsed(`${path}:${i + 1}`, line));
  } catch (err) {
    throw new ColdtraceError(
      'checkpoint_read_failed',
      `cannot read checkpoints at ${path}: ${errorMessage(err)}`,
    );
  }
}
