import type { LockEventPayload } from '../../src/domain/domain-events.js';

/** A lock event for outbox tests: excursion `room@i`, one unit `EPCi` of lot L1, at `i`. */
export const lockEvent = (i: number): LockEventPayload => ({
  type: 'lock',
  excursionId: `room@${i}`,
  locationId: 'room',
  reason: 'excursion',
  units: [{ epc: `EPC${i}`, lotId: 'L1' }],
  at: i,
});
