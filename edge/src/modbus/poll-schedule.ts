/** Whether a sensor's poll period is being kept, with the run of on-time polls that ends an overrun. */
export interface OverrunState {
  overrun: boolean;
  onTimeStreak: number;
}

/** On-time polls in a row after which an overrun is over (one lucky poll on a busy bus is not enough). */
export const OVERRUN_CLEAR_AFTER = 3;

/**
 * The state after a poll started, `missed` being the periods lost since the sensor's previous poll: a
 * lost period starts (or continues) an overrun; `OVERRUN_CLEAR_AFTER` polls in a row that lost none
 * end it.
 */
export function afterPoll(s: OverrunState, missed: number): OverrunState {
  if (missed > 0) return { overrun: true, onTimeStreak: 0 };
  const onTimeStreak = s.onTimeStreak + 1;
  return { overrun: s.overrun && onTimeStreak < OVERRUN_CLEAR_AFTER, onTimeStreak };
}

/** What the turn rule needs to know of a waiting sensor. */
export interface Waiting {
  /** When it last had the bus, in turns (0: never). */
  lastTurn: number;
  /** Its address may not be asked before then (a late answer may still come). */
  quietUntil: number;
}

/**
 * Index of the waiting sensor to poll next: of those whose address may be asked at `now`, the one that
 * had the bus least recently (ties: the first in the list). Least recently served rather than first
 * come: sensors due at the same instant would otherwise always go in configuration order, and on a bus
 * too slow for their period the last ones would lose more periods than the first. Undefined when every
 * waiting address is still resting.
 */
export function nextTurn(waiting: readonly Waiting[], now: number): number | undefined {
  let best: number | undefined;
  waiting.forEach((w, i) => {
    if (now < w.quietUntil) return;
    if (best === undefined || w.lastTurn < waiting[best]!.lastTurn) best = i;
  });
  return best;
}
