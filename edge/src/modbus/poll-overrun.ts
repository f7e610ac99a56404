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
