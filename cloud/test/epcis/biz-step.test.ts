import { describe, expect, it } from 'vitest';
import { passSemantics } from '../../src/epcis/biz-step.js';
import { custodyFromPasses } from '../../src/epcis/epcis-source.js';
import { epcisValidator } from './epcis-schema.js';

describe('passSemantics (CBV 2.0 bizStep per pair of location kinds)', () => {
  it.each([
    ['room', 'vehicle', 'shipping', 'in_transit'],
    ['dock', 'vehicle', 'shipping', 'in_transit'],
    ['vehicle', 'store', 'receiving', 'in_progress'],
    ['vehicle', 'room', 'receiving', 'in_progress'],
    ['vehicle', 'vehicle', 'transporting', 'in_transit'],
    ['room', 'other', 'departing', undefined],
    ['other', 'store', 'arriving', undefined],
    ['room', 'dock', 'staging_outbound', undefined],
    ['dock', 'room', 'storing', undefined],
    ['room', 'store', 'stocking', undefined],
    ['other', 'other', 'entering_exiting', undefined],
    ['spaceship', 'room', 'arriving', undefined],
  ])('%s → %s is %s', (from, to, bizStep, disposition) => {
    expect(passSemantics(from, to)).toEqual({ bizStep, ...(disposition ? { disposition } : {}) });
  });

  it('every bizStep and disposition it can give is a CBV term the schema accepts', () => {
    const kinds = ['room', 'dock', 'vehicle', 'store', 'other'];
    const v = epcisValidator();
    for (const a of kinds)
      for (const b of kinds) {
        const s = passSemantics(a, b);
        const ev = {
          '@context': 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
          type: 'ObjectEvent',
          action: 'OBSERVE',
          epcList: [],
          eventTime: '2025-01-01T00:00:00Z',
          eventTimeZoneOffset: '+00:00',
          ...s,
        };
        expect(v(ev), `${a}→${b}`).toBe(true);
      }
  });
});

describe('custodyFromPasses', () => {
  it('puts each EPC at the destination of a pass until its next pass, in event-time order', () => {
    const p = (epc: string, from: string, to: string, ts: number) => ({
      epc,
      portalId: 'p',
      from,
      to,
      direction: 'in' as const,
      ts,
    });
    // given out of order: custody follows event time, not arrival
    const got = custodyFromPasses([
      p('A', 'truck', 'store', 300),
      p('A', 'room', 'truck', 100),
      p('B', 'room', 'truck', 150),
    ]);
    expect(got).toEqual([
      { epc: 'A', locationId: 'truck', enteredAt: 100, leftAt: 300 },
      { epc: 'A', locationId: 'store', enteredAt: 300, leftAt: null },
      { epc: 'B', locationId: 'truck', enteredAt: 150, leftAt: null },
    ]);
  });
});
