import type { Clock } from '@coldtrace/shared';
import type { TagRead } from '@coldtrace/shared/llrp';
import {
  crossingPath,
  type DoorGeometry,
  presentPath,
  simulateReads,
  strayPath,
  type TagPath,
} from './population.js';
import type { LlrpSimulator } from './simulator-types.js';

export interface ScriptPlayerOptions {
  clock: Clock;
  /** The door as the reader reads it when a script starts (the running ROSpec's transmit power). */
  geo(): DoorGeometry;
  rand: () => number;
  /** false: a script's reads go to the reader at once (their timestamps still spread over it). */
  realtime: boolean;
  /** The reader closed: a script running stops reading. */
  closed(): boolean;
  /** Reads the antennas took, in time order, to the running ROSpec. */
  enqueue(reads: TagRead[]): void;
  /** The script ended: whatever the ROSpec holds short of its N goes out (simulator extension). */
  partialFlush(): void;
}

/**
 * Tag movements in front of the simulated door (`pass`, `present`, `stray`): each script's inventory
 * rounds are simulated over its duration and fed to the reader as the clock reaches them, in 20 ms ticks.
 */
export function scriptPlayer(o: ScriptPlayerOptions): Pick<LlrpSimulator, 'pass' | 'present' | 'stray'> {
  const { clock, rand } = o;
  const play = async (paths: TagPath[], durationMs: number): Promise<void> => {
    const start = clock.now();
    const reads = simulateReads(paths, durationMs, start, o.geo(), rand);
    if (!o.realtime) {
      o.enqueue(reads);
      o.partialFlush();
      return;
    }
    let i = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        if (o.closed()) return resolve(); // a closed reader reads nothing more
        const now = clock.now();
        const batch: TagRead[] = [];
        while (i < reads.length && reads[i]!.firstSeenUs! / 1000 <= now) batch.push(reads[i++]!);
        if (batch.length > 0) o.enqueue(batch);
        if (i >= reads.length && now - start >= durationMs) {
          o.partialFlush();
          resolve();
          return;
        }
        clock.setTimeout(tick, 20);
      };
      tick();
    });
  };
  return {
    pass(tags, opts) {
      const d = opts?.durationMs ?? 1500;
      return play(
        tags.map((t) => crossingPath(t.epc, t.direction, d, rand)),
        d,
      );
    },
    present(tags, opts) {
      return play(
        tags.map((t) => presentPath(t.epc, t.side, rand)),
        opts?.durationMs ?? 3000,
      );
    },
    stray(epcs, opts) {
      return play(
        epcs.map((e) => strayPath(e, rand)),
        opts?.durationMs ?? 3000,
      );
    },
  };
}
