import { describe, expect, it } from 'vitest';
import { checkExpectations, formatDiff } from '../src/expectations.js';
import { parseScenario } from '../src/load-scenario.js';
import type { Observed } from '../src/observe.js';
import { resolveUnits } from '../src/units.js';
import { BASE } from './base-scenario.js';

function observed(over: Partial<Observed> = {}): Observed {
  return {
    startMs: 0,
    excursions: [],
    monitoringGaps: [],
    deadLetters: 0,
    sequenceHoles: [],
    deadLetterList: [],
    locks: [],
    custody: [],
    lots: {},
    received: { readings: [], movements: [], queries: {} },
    counts: { readings: 0, movements: 0, alarms: 0, deadLetters: 0, excursions: 0 },
    ...over,
  };
}

describe('expectations', () => {
  const text = `${BASE}expect:
  - excursion: { location: room-1, start: 2h, end: 3h }
  - locked: { units: LOT-A }
  - custody: { units: LOT-A, at: 2h, location: room-1 }
  - deadLetters: { count: 0 }
`;
  const loaded = parseScenario(text, 's.yaml');
  const epcs = resolveUnits(loaded.scenario, 'LOT-A');
  const good = observed({
    excursions: [
      {
        id: 'x',
        locationId: 'room-1',
        startMs: 2 * 3_600_000 + 60_000,
        endMs: 3 * 3_600_000,
        critical: false,
        peakC: 9,
        sensorIds: ['s-1'],
      },
    ],
    locks: epcs.map((epc) => ({ epc, excursionId: 'x', state: 'active', cause: 'excursion' })),
    custody: epcs.map((epc) => ({ epc, locationId: 'room-1', enteredMs: 3_600_000, leftMs: null })),
  });

  it('pass when the conclusions match (times within the tolerance)', () => {
    const r = checkExpectations(loaded, good);
    expect(r.results.map((x) => x.pass)).toEqual([true, true, true, true]);
    expect(formatDiff('s.yaml', r)).toBe('s.yaml: all 4 expectation(s) met\n');
  });

  it('fail with a diff naming the line of each wrong expectation', () => {
    const wrong = observed({ ...good, deadLetters: 2, locks: good.locks!.slice(1) });
    const r = checkExpectations(loaded, wrong);
    expect(r.pass).toBe(false);
    const diff = formatDiff('s.yaml', r);
    expect(diff).toContain(
      's.yaml:22: expectation 2 FAILED\n  - expected: LOT-A (4 units) locked\n  + observed: 3 of 4 locked',
    );
    expect(diff).toContain('s.yaml:24: expectation 4 FAILED');
    expect(diff).toContain('2 of 4 expectation(s) failed');
  });

  it('fail when an excursion is outside the tolerance, or missing', () => {
    const late = observed({
      ...good,
      excursions: [{ ...good.excursions[0]!, startMs: 2 * 3_600_000 + 10 * 60_000 }],
    });
    expect(checkExpectations(loaded, late).results[0]!.pass).toBe(false);
    const none = checkExpectations(loaded, observed({ ...good, excursions: [] })).results[0]!;
    expect(none.observed).toBe('excursions at room-1: none');
  });

  it('say so when the cloud cannot answer an expectation kind yet', () => {
    const r = checkExpectations(loaded, observed({ ...good, locks: null }));
    expect(r.results[1]).toMatchObject({ pass: false, unavailable: true });
  });
});

describe('expectations on what the cloud received and concluded', () => {
  const text = `${BASE}expect:
  - readings: { sensor: s-1, atLeast: 100 }
  - movements: { portal: door-1, atLeast: 4, atMost: 4 }
  - deadLetters: { count: 1, code: malformed_json }
  - deadLetters: { count: 2 }
  - locked: { units: LOT-A, cause: cumulative }
  - cumulativeRule: { lot: LOT-A, aboveC: 8, exceeded: true, exposedAtLeast: 10h, exposedBelow: 11h }
`;
  const loaded = parseScenario(text, 'r.yaml');
  const epcs = resolveUnits(loaded.scenario, 'LOT-A');
  const rule = { kind: 'above' as const, thresholdC: 8, limitMs: 36_000_000 };
  const good = observed({
    deadLetters: 2,
    deadLetterList: [
      { gatewayId: 'gw-1', topic: 't', code: 'malformed_json', reason: 'payload is not JSON' },
      { gatewayId: 'gw-1', topic: 't', code: 'gateway_mismatch', reason: 'names gw-2' },
    ],
    received: {
      readings: [{ gatewayId: 'gw-1', sensorId: 's-1', n: 120 }],
      movements: [{ gatewayId: 'gw-1', portalId: 'door-1', n: 4 }],
      queries: { 0: { n: 120, maxC: 9.5 } },
    },
    locks: epcs.map((epc) => ({
      epc,
      excursionId: 'cumulative:LOT-A:above:8:36000000',
      state: 'active',
      cause: 'cumulative',
    })),
    lots: {
      'LOT-A': {
        units: { total: 4, locked: 4, released: 0, rejected: 0 },
        cumulative: [
          {
            rule,
            key: 'k',
            exposedMs: 38_400_000,
            limitMs: 36_000_000,
            exceeded: true,
            unitsExceeded: 4,
            lockedUnits: 4,
          },
        ],
      },
    },
  });

  it('pass when the cloud received and concluded that', () => {
    const r = checkExpectations(loaded, good);
    expect(r.results.map((x) => [x.pass, x.observed])).toEqual([
      [true, '120 reading(s), highest 9.5 °C'],
      [true, '4'],
      [
        true,
        expect.stringMatching(
          /^1 \(all: 1 malformed_json, 1 gateway_mismatch; e\.g\. malformed_json: payload is not JSON\)$/,
        ),
      ],
      [true, expect.stringMatching(/^2/)],
      [true, '4 of 4 locked by cumulative (active lock causes: cumulative)'],
      [
        true,
        expect.stringMatching(
          /^exceeded \(limit 10h\): worst unit 10h40m above 8 °C, 4 unit\(s\) over the limit, 4 locked by it$/,
        ),
      ],
    ]);
    expect(r.pass).toBe(true);
  });

  it('fail when nothing arrived, the cause differs, or the rule was not exceeded', () => {
    const none = observed({ lots: { 'LOT-A': { units: good.lots['LOT-A']!.units, cumulative: [] } } });
    const r = checkExpectations(loaded, none);
    expect(r.results.map((x) => x.pass)).toEqual([false, false, false, false, false, false]);
    expect(r.results[5]!.observed).toBe('the cloud has no such rule for lot LOT-A (rules: none)');
    const byExcursion = observed({ ...good, locks: good.locks!.map((l) => ({ ...l, cause: 'excursion' })) });
    expect(checkExpectations(loaded, byExcursion).results[4]).toMatchObject({
      pass: false,
      observed: '0 of 4 locked by cumulative (active lock causes: excursion)',
    });
    const notExceeded = observed({
      ...good,
      lots: {
        'LOT-A': {
          units: good.lots['LOT-A']!.units,
          cumulative: [{ ...good.lots['LOT-A']!.cumulative[0]!, exposedMs: 30_000_000, exceeded: false }],
        },
      },
    });
    expect(checkExpectations(loaded, notExceeded).results[5]!.pass).toBe(false);
    expect(
      checkExpectations(loaded, observed({ ...good, lots: { 'LOT-A': null } })).results[5],
    ).toMatchObject({
      pass: false,
      unavailable: true,
    });
  });

  it('a run problem fails the check even when every expectation holds, and the diff says why', () => {
    const r = checkExpectations(loaded, good, [
      'event not carried out: move LOT-A in through door-1 at +1h: no gateway was reading portal door-1',
    ]);
    expect(r.pass).toBe(false);
    expect(formatDiff('r.yaml', r)).toBe(
      'r.yaml: RUN FAILED: event not carried out: move LOT-A in through door-1 at +1h: no gateway was reading portal door-1\n' +
        'r.yaml: all 6 expectation(s) met\nthe run had 1 problem(s): its conclusions are not evidence\n',
    );
  });
});
