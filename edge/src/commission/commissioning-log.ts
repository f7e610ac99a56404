import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { ColdtraceError, errorMessage, systemClock } from '@coldtrace/shared';

/** The gateway's state directory (deploy/systemd/coldtrace-edge@.service, StateDirectory). */
export const DEFAULT_COMMISSIONING_LOG = '/var/lib/coldtrace/commissioning.jsonl';

/** One line per change made to a sensor, as JSON; who and when added by the log. */
export interface CommissioningLog {
  readonly path: string;
  append(entry: Record<string, unknown>): void;
  close(): void;
}

/**
 * Opens (creates) the gateway's commissioning log for appending. Opened before the bus is: a change the
 * gateway cannot record is not made (EU GMP Annex 11 §10, changes to a computerised system's setup are
 * recorded; §12.4, with who and when). Each line is on disk (fsync) before the command goes on. Times
 * are the wall clock, as every human action's.
 */
export function openCommissioningLog(path: string): CommissioningLog {
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, 'a', 0o640);
  } catch (err) {
    throw new ColdtraceError(
      'sensor_log_unwritable',
      `cannot append to the commissioning log ${path}: ${errorMessage(err)}; nothing was sent to the sensor (give --log FILE)`,
    );
  }
  const by = operator();
  const host = hostname();
  return {
    path,
    append(entry) {
      const line = { at: new Date(systemClock.now()).toISOString(), by, host, ...entry };
      writeSync(fd, `${JSON.stringify(line)}\n`);
      fsyncSync(fd);
    },
    close() {
      closeSync(fd);
    },
  };
}

/** The login that ran the command; through sudo, the person's login as well as the account used. */
function operator(): string {
  let account: string;
  try {
    account = userInfo().username;
  } catch {
    account = `uid ${process.getuid?.() ?? '?'}`;
  }
  const sudo = process.env.SUDO_USER;
  return sudo && sudo !== account ? `${sudo} (as ${account})` : account;
}
