import { describe, expect, it } from 'vitest';
import { buildCustody, type CustodyMovement } from '../../src/domain/custody.js';

// docs/barcode.md "Scans in the cloud": scans change custody like passes; a scan out ends it.
const m = (
  seq: number,
  ts: number,
  kind: string,
  to: string,
  direction: 'in' | 'out' = 'in',
): CustodyMovement => ({
  gateway_id: 'gw',
  seq,
  kind,
  from_location: direction === 'out' ? to : null,
  to_location: to,
  direction,
  ts,
});

const intervals = (ms: CustodyMovement[]) =>
  buildCustody('E', ms).map((c) => [c.location_id, c.entered_at, c.left_at]);

describe('buildCustody with barcode scans', () => {
  it('a scan in moves the unit like a pass; a scan out ends its interval and the unit is nowhere known', () => {
    expect(
      intervals([m(1, 10, 'pass', 'dock'), m(2, 20, 'scan', 'fridge'), m(3, 30, 'scan', 'fridge', 'out')]),
    ).toEqual([
      ['dock', 10, 20],
      ['fridge', 20, 30],
    ]);
  });

  it('a pass or scan in after a scan out opens a new interval, also at the location it left', () => {
    expect(
      intervals([m(1, 10, 'scan', 'fridge'), m(2, 20, 'scan', 'fridge', 'out'), m(3, 40, 'scan', 'fridge')]),
    ).toEqual([
      ['fridge', 10, 20],
      ['fridge', 40, null],
    ]);
  });

  it('a scan out with no open interval changes nothing; one at the instant of entry drops that interval', () => {
    expect(intervals([m(1, 10, 'scan', 'fridge', 'out')])).toEqual([]);
    expect(
      intervals([m(1, 10, 'pass', 'dock'), m(2, 20, 'scan', 'fridge'), m(3, 20, 'scan', 'fridge', 'out')]),
    ).toEqual([['dock', 10, 20]]);
  });

  it('is a function of the set: any order of the same movements gives the same intervals', () => {
    const ms = [
      m(1, 10, 'pass', 'dock'),
      m(2, 20, 'scan', 'fridge'),
      m(3, 30, 'scan', 'fridge', 'out'),
      m(4, 50, 'pass', 'truck'),
    ];
    const want = intervals(ms);
    expect(intervals([...ms].reverse())).toEqual(want);
    expect(intervals([ms[2]!, ms[0]!, ms[3]!, ms[1]!])).toEqual(want);
  });
});
