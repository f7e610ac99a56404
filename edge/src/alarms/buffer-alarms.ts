import type { Clock } from '@coldtrace/shared';
import type { Logger } from 'pino';
import type { BufferEvent, StreamName } from '../buffer/record-buffer.js';
import type { NewAlarm } from '../module.js';

export interface BufferAlarmsOptions {
  clock: Clock;
  log: Logger;
  /** An ongoing buffer_full episode re-raises its alarm with the updated count at most this often. */
  fullUpdateMs: number;
  /** Fill ratio below which buffer_high clears (the buffer's `lowRatio`). */
  lowRatio: number;
  /** The last stored alarm with this id (the buffer keeps its state across restarts). */
  stored(alarmId: string): { state: 'raised' | 'cleared'; ts: number } | undefined;
  /** The buffer's current fill ratio (bytes / maxBytes). */
  fill(): number;
}

export interface BufferAlarms {
  /** The buffer's event listener; decisions wait for `take()` (events fire while the buffer opens). */
  onEvent(e: BufferEvent): void;
  /** An append of readings or movements succeeded: an ongoing buffer_full episode is over. */
  accepted(stream: StreamName): void;
  /** The alarms decided since the last call, to append to the alarms stream. */
  take(): NewAlarm[];
  /** alarmIds currently raised (for `status.activeAlarms`). */
  active(): string[];
}

const HIGH = 'buffer_high';
const FULL = 'buffer_full';

/**
 * The gateway's `buffer_high` and `buffer_full` alarms, each raised once per episode (docs/durability.md
 * "Nearing and reaching the bound"). The last stored state of each survives restarts in the buffer
 * itself, so reopening a buffer that is still above 80 % raises nothing new, and a `buffer_full` episode
 * a crash interrupted is cleared by the next accepted append. A refusal costs no alarm beyond the first
 * of its episode and an update of the count at most every `fullUpdateMs`.
 */
export function createBufferAlarms(o: BufferAlarmsOptions): BufferAlarms {
  const queue: Array<BufferEvent | { type: 'accepted' }> = [];
  let loaded = false;
  let highRaised = false;
  let sawHighEvent = false;
  const full = { raised: false, since: 0, refused: 0, lastUpdate: 0 };
  const iso = (ts: number) => new Date(ts).toISOString();

  const load = (out: NewAlarm[]) => {
    loaded = true;
    highRaised = o.stored(HIGH)?.state === 'raised';
    const fullBefore = o.stored(FULL);
    // An episode a restart interrupted goes on (the count restarts: the buffer's `refused` has the total).
    if (fullBefore?.state === 'raised') {
      full.raised = true;
      full.since = fullBefore.ts;
      full.lastUpdate = o.clock.now();
    }
    // Raised, but below the low ratio at open (a crash lost the clear that followed the ack): clear it.
    if (highRaised && !sawHighEvent && o.fill() < o.lowRatio) {
      highRaised = false;
      out.push(highAlarm('cleared', o.fill()));
    }
  };

  const highAlarm = (state: 'raised' | 'cleared', ratio: number): NewAlarm => ({
    alarmId: HIGH,
    kind: 'buffer_high',
    state,
    severity: 'warning',
    ts: o.clock.now(),
    value: ratio,
    message: `buffer at ${Math.round(ratio * 100)}% of its bound`,
  });

  const fullAlarm = (state: 'raised' | 'cleared', message: string): NewAlarm => ({
    alarmId: FULL,
    kind: 'buffer_full',
    state,
    severity: 'critical',
    ts: o.clock.now(),
    value: full.refused,
    message: message.slice(0, 500),
  });

  const step = (e: BufferEvent | { type: 'accepted' }, out: NewAlarm[]) => {
    const now = o.clock.now();
    switch (e.type) {
      case 'high':
        if (!highRaised) out.push(highAlarm('raised', e.ratio));
        highRaised = true;
        return;
      case 'normal':
        if (highRaised) out.push(highAlarm('cleared', e.ratio));
        highRaised = false;
        return;
      case 'full': {
        full.refused += e.refusedRecords;
        const first = !full.raised;
        if (!first && now - full.lastUpdate < o.fullUpdateMs) return;
        if (first) full.since = now;
        full.raised = true;
        full.lastUpdate = now;
        // Logged with the alarm, not per refusal: a full buffer refuses every poll of every sensor.
        o.log.error(
          { refused: full.refused, since: iso(full.since), refusedTotal: e.refusedTotal, stream: e.stream },
          'BUFFER FULL: records refused',
        );
        out.push(
          fullAlarm('raised', `buffer full: ${full.refused} records refused since ${iso(full.since)}`),
        );
        return;
      }
      case 'accepted':
        if (!full.raised) return;
        out.push(
          fullAlarm(
            'cleared',
            `buffer accepts records again: ${full.refused} records refused from ${iso(full.since)} to ${iso(now)}`,
          ),
        );
        full.raised = false;
        full.refused = 0;
        return;
      case 'thinned':
        o.log.warn({ count: e.count }, 'buffer thinned in-range readings to stay within maxBytes');
        return;
    }
  };

  return {
    onEvent(e) {
      if (e.type === 'high') sawHighEvent = true;
      queue.push(e);
    },
    accepted(stream) {
      // Cheap on the hot path: only a raised (or not yet loaded) episode needs the marker.
      if (stream !== 'alarms' && (full.raised || !loaded)) queue.push({ type: 'accepted' });
    },
    take() {
      const out: NewAlarm[] = [];
      if (!loaded) load(out);
      while (queue.length) step(queue.shift()!, out);
      return out;
    },
    active() {
      return [...(highRaised ? [HIGH] : []), ...(full.raised ? [FULL] : [])];
    },
  };
}
