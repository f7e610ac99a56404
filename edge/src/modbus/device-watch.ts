import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` whenever an entry named like `path` is created or removed in its directory (inotify
 * on Linux: /dev for a USB adapter, the directory of a pty symlink), so a returning device is reopened
 * at once instead of at the next backoff step. Undefined where the directory cannot be watched (it does
 * not exist, or the platform has no such events): the caller's timer alone then reopens the device.
 */
export function watchDevicePath(path: string, onChange: () => void): { close(): void } | undefined {
  const name = basename(path);
  let w: FSWatcher;
  try {
    w = watch(dirname(path), { persistent: false }, (_event, filename) => {
      if (filename === null || filename === name) onChange();
    });
  } catch {
    return undefined;
  }
  // The directory itself went away: the timer carries on alone.
  w.on('error', () => w.close());
  return { close: () => w.close() };
}
