import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ColdtraceError } from '@coldtrace/shared';

/**
 * A pseudo-terminal pair made by socat (Debian package `socat`), reachable through two symlinks so that
 * the gateway's device path stays the same when the pair is torn down and made again.
 * Wire-level waits here use real time: they are about processes, not scenario time.
 */
export interface SocatPair {
  readonly gatewayPath: string;
  readonly simPath: string;
  stop(): Promise<void>;
}

export interface SocatPairOptions {
  readyTimeoutMs?: number;
  /**
   * Hold what the simulator writes until the gateway has opened its end (socat `wait-slave`): a device
   * that talks first (a scanner) loses nothing to a gateway that opens it a moment later.
   */
  waitForGateway?: boolean;
}

export async function startSocatPair(
  gatewayPath: string,
  simPath: string,
  { readyTimeoutMs = 5000, waitForGateway = false }: SocatPairOptions = {},
): Promise<SocatPair> {
  for (const p of [gatewayPath, simPath]) removeStaleLink(p);
  let child: ChildProcess;
  try {
    const gatewayEnd = `pty,raw,echo=0,link=${gatewayPath}`;
    const simEnd = `pty,raw,echo=0,link=${simPath}`;
    // socat opens its addresses in order; `wait-slave` blocks only the open of its own (last) address,
    // after its link exists, so both links appear and the simulator's end is already open.
    const args = waitForGateway ? [simEnd, `${gatewayEnd},wait-slave`] : [gatewayEnd, simEnd];
    child = spawn('socat', ['-d', '-d', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    throw new ColdtraceError('socat_spawn', `cannot start socat (apt-get install -y socat): ${String(err)}`);
  }
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (stderr.length < 4000) stderr += d;
  });
  let exited = false;
  let spawnError: Error | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (err) => {
      spawnError = err;
      exited = true;
      resolve();
    });
  });
  const deadline = Date.now() + readyTimeoutMs;
  while (!(existsSync(gatewayPath) && existsSync(simPath))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      const why = spawnError ? `${spawnError.message} (apt-get install -y socat)` : stderr.trim();
      throw new ColdtraceError('socat_start', `socat pty pair did not come up: ${why || 'timeout'}`);
    }
    await sleep(10);
  }
  return {
    gatewayPath,
    simPath,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        await Promise.race([exit, sleep(2000)]);
        if (!exited) {
          child.kill('SIGKILL');
          await exit;
        }
      }
      for (const p of [gatewayPath, simPath]) removeStaleLink(p);
    },
  };
}

function removeStaleLink(path: string): void {
  try {
    if (lstatSync(path).isSymbolicLink()) unlinkSync(path);
  } catch {
    // absent: nothing to remove
  }
}

/**
 * Why pseudo-terminal pairs cannot be made here (socat is not installed), or null when they can.
 * Tests that need a real serial line skip with this reason printed.
 */
export function socatMissing(): string | null {
  const r = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  return r.error || r.status !== 0
    ? 'socat is not installed (apt-get install -y socat): Modbus buses need pseudo-terminal pairs'
    : null;
}
