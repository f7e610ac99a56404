import { ColdtraceError } from '@coldtrace/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/duration.js';
import { checkExpectations, formatDiff } from '../src/expectations.js';
import { parseScenario } from '../src/load-scenario.js';
import type { Observed } from '../src/observe.js';
import { LocationTemperature, sensorTimelines } from '../src/temperature-timeline.js';
import { resolveUnits } from '../src/units.js';

const BASE = `name: unit
duration: 6h
locations:
  - id: room-1
    limits: { minC: 2, maxC: 8, alarmDelay: 30m, criticalMarginC: 5, maxGap: 15m }
    temperature: { kind: steady, tempC: 5 }
  - id: truck-1
    limits: { minC: 2, maxC: 8, alarmDelay: 30m, criticalMarginC: 5, maxGap: 15m }
    temperature: { kind: steady, tempC: 5 }
lots:
  - { id: LOT-A, gtin: '00614141123452', lotNumber: A1, expiry: 2027-01-31, companyPrefix: '0614141', itemRef: '012345', serials: { from: 1001, count: 4 } }
products: [{ gtin: '00614141123452', name: P, minC: 2, maxC: 8, stabilityBudget: 1h, cumulativeRules: [{ aboveC: 8, max: 10h }] }]
gateways:
  - id: gw-1
    portals: [{ id: door-1, inside: room-1, outside: truck-1 }]
    sensors: [{ id: s-1, location: room-1 }]
timeline:
  - at: 1h
    move: { units: LOT-A, portal: door-1, direction: in }
`;

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

function invalid(text: string): string {
  try {
    parseScenario(text, 'x.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ColdtraceError);
    expect((err as ColdtraceError).code).toBe('invalid_scenario');
    return (err as Error).message;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario files', () => {
  it('parses a valid scenario with defaults and durations in ms', () => {
    const { scenario } = parseScenario(BASE);
    expect(scenario.duration).toBe(6 * 3_600_000);
    expect(scenario.clock).toEqual({ scale: 1200, tick: 60_000 });
    expect(scenario.gateways[0]!.poll).toBe(30_000);
    expect(scenario.timeline[0]!.at).toBe(3_600_000);
  });

  it('names the line of a schema error', () => {
    const msg = invalid(
      BASE.replace(
        'alarmDelay: 30m, criticalMarginC: 5, maxGap: 15m }\n    temperature: { kind: steady, tempC: 5 }\n  - id: truck-1',
        'alarmDelay: soon, criticalMarginC: 5, maxGap: 15m }\n    temperature: { kind: steady, tempC: 5 }\n  - id: truck-1',
      ),
    );
    expect(msg).toMatch(/x\.yaml:5: locations\.0\.limits\.alarmDelay: not a duration: "soon"/);
  });

  it('names the line of an unknown reference', () => {
    const msg = invalid(BASE.replace('portal: door-1, direction', 'portal: door-9, direction'));
    expect(msg).toMatch(/x\.yaml:19: timeline\.0\.move\.portal: unknown portal door-9/);
    expect(invalid(`${BASE}expect:\n  - locked: { units: LOT-Z }\n`)).toMatch(
      /x\.yaml:21: .*unknown units "LOT-Z"/,
    );
  });

  it('reports YAML syntax errors with their line', () => {
    expect(invalid('name: a\nduration: [1h\n')).toMatch(/x\.yaml:\d+:/);
  });

  it('rejects a lot without its product, a portal with one location on both sides, and an unknown rule', () => {
    expect(
      invalid(BASE.replace("gtin: '00614141123452', name: P", "gtin: '00614141999996', name: P")),
    ).toMatch(/lots\.0\.gtin: no product with GTIN 00614141123452/);
    expect(invalid(BASE.replace("itemRef: '012345'", "itemRef: '012346'"))).toMatch(
      /lots\.0\.gtin: company prefix 0614141 and item reference 012346 make GTIN 00614141123469, not 00614141123452/,
    );
    expect(
      invalid(BASE.replace('inside: room-1, outside: truck-1', 'inside: room-1, outside: room-1')),
    ).toMatch(/x\.yaml:\d+: gateways\.0\.portals\.0\.outside: portal door-1 has room-1 on both sides/);
    expect(
      invalid(`${BASE}expect:\n  - cumulativeRule: { lot: LOT-A, belowC: 0, exceeded: false }\n`),
    ).toMatch(/no cumulative rule below 0 °C/);
    expect(invalid(`${BASE}expect:\n  - readings: { sensor: s-9, atLeast: 1 }\n`)).toMatch(
      /unknown sensor s-9/,
    );
    expect(
      invalid(
        BASE.replace(
          '  - at: 1h\n',
          '  - at: 2h\n    roguePublish: { gateway: gw-9, payload: malformed-json }\n  - at: 1h\n',
        ),
      ),
    ).toMatch(/roguePublish\.gateway: unknown gateway gw-9/);
    expect(
      invalid(
        BASE.replace(
          '  - at: 1h\n',
          '  - at: 2h\n    roguePublish: { gateway: gw-1, payload: garbage }\n  - at: 1h\n',
        ),
      ),
    ).toMatch(/x\.yaml:18: timeline\.0/);
  });

  it('rejects an event after the end and a sensor address used twice', () => {
    expect(invalid(BASE.replace('- at: 1h', '- at: 7h'))).toMatch(/timeline\.0\.at: after the end/);
    expect(
      invalid(
        BASE.replace(
          'sensors: [{ id: s-1, location: room-1 }]',
          'sensors: [{ id: s-1, location: room-1 }, { id: s-2, location: room-1, address: 1 }]',
        ),
      ),
    ).toMatch(/address 1 used twice/);
  });
});

describe('scan steps', () => {
  const SCANNING = BASE.replace(
    '    sensors: [{ id: s-1, location: room-1 }]\n',
    '    sensors: [{ id: s-1, location: room-1 }]\n    scanStations: [{ id: recv-1, location: room-1, direction: receiving }]\n',
  ).replace(
    '  - at: 1h\n    move: { units: LOT-A, portal: door-1, direction: in }\n',
    '  - at: 1h\n    scan: { station: recv-1, units: LOT-A#1001-1002 }\n',
  );

  it('parses scan stations and scan events (DataMatrix by default)', () => {
    const s = parseScenario(SCANNING).scenario;
    expect(s.gateways[0]!.scanStations).toEqual([
      { id: 'recv-1', location: 'room-1', direction: 'receiving' },
    ]);
    expect(s.timeline[0]).toMatchObject({
      scan: { station: 'recv-1', units: 'LOT-A#1001-1002', format: 'datamatrix' },
    });
    expect(s.lots[0]!.tagged).toBe(true);
  });

  it('rejects an unknown station, a station at an unknown location, a portal move of untagged units, and a child gateway with stations', () => {
    expect(invalid(SCANNING.replace('station: recv-1', 'station: recv-9'))).toMatch(
      /timeline\.0\.scan\.station: unknown scan station recv-9/,
    );
    expect(invalid(SCANNING.replace('location: room-1, direction', 'location: room-9, direction'))).toMatch(
      /scanStations\.0\.location: unknown location room-9/,
    );
    expect(invalid(SCANNING.replace('units: LOT-A#1001-1002', 'units: LOT-A#1-2'))).toMatch(
      /serials of LOT-A are 1001-1004/,
    );
    // Precondition: tagged units may move through the portal.
    expect(() => parseScenario(BASE)).not.toThrow();
    expect(
      invalid(
        BASE.replace(
          'serials: { from: 1001, count: 4 } }',
          'serials: { from: 1001, count: 4 }, tagged: false }',
        ),
      ),
    ).toMatch(/timeline\.0\.move\.units: lot LOT-A is not tagged/);
    expect(invalid(SCANNING.replace('  - id: gw-1\n', '  - id: gw-1\n    process: child\n'))).toMatch(
      /scan stations need it in-process/,
    );
  });
});

describe('durations', () => {
  it.each([
    ['90m', 5_400_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['250ms', 250],
    ['45s', 45_000],
    ['1500', 1500],
  ])('%s = %d ms', (s, ms) => expect(parseDuration(s)).toBe(ms));

  it.each(['', 'soon', '1x', '-5m', '1h 30m'])('rejects %j', (s) => expect(parseDuration(s)).toBeUndefined());

  it('formats what it parses', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 * 86_400 }),
        (seconds) => parseDuration(formatDuration(seconds * 1000)) === seconds * 1000,
      ),
    );
  });
});

describe('unit selections', () => {
  const { scenario } = parseScenario(BASE);
  it('resolves a lot, one serial and a range to SGTIN-96 EPCs', () => {
    expect(resolveUnits(scenario, 'LOT-A')).toHaveLength(4);
    expect(resolveUnits(scenario, 'LOT-A#1002')).toEqual([resolveUnits(scenario, 'LOT-A')[1]]);
    expect(resolveUnits(scenario, ['LOT-A#1001-1002', 'LOT-A#1004'])).toHaveLength(3);
    expect(resolveUnits(scenario, 'LOT-A')[0]).toMatch(/^30[0-9A-F]{22}$/);
  });
  it('rejects serials outside the lot', () => {
    expect(() => resolveUnits(scenario, 'LOT-A#999')).toThrow(/serials of LOT-A are 1001-1004/);
  });
});

describe('temperature timelines', () => {
  it('follow the profiles as functions of scenario time', () => {
    const t = new LocationTemperature({ kind: 'steady', tempC: 5, noiseC: 0 }, [
      {
        atMs: 60 * 60_000,
        profile: { kind: 'compressor-failure', baseC: 5, rateCPerMin: 0.1, ambientC: 20, noiseC: 0 },
      },
      { atMs: 120 * 60_000, profile: { kind: 'recover', toC: 5, rateCPerMin: 0.5, noiseC: 0 } },
    ]);
    expect(t.at(30 * 60_000)).toBe(5);
    expect(t.at(90 * 60_000)).toBeCloseTo(8, 9);
    expect(t.at(120 * 60_000)).toBeCloseTo(11, 9); // recovery starts where the failure left it
    expect(t.at(132 * 60_000)).toBeCloseTo(5, 9);
    expect(t.at(200 * 60_000)).toBe(5);
  });

  it('are continuous into a recovery and never overshoot its target', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.double({ min: 0.01, max: 2, noNaN: true }),
        fc.integer({ min: 0, max: 600 }),
        (failMin, rate, u) => {
          const t = new LocationTemperature(
            { kind: 'compressor-failure', baseC: 4, rateCPerMin: rate, ambientC: 25, noiseC: 0 },
            [{ atMs: failMin * 60_000, profile: { kind: 'recover', toC: 4, rateCPerMin: 1, noiseC: 0 } }],
          );
          const at = t.at(failMin * 60_000);
          const before = 4 + Math.min(21, failMin * rate);
          return Math.abs(at - before) < 1e-9 && t.at(failMin * 60_000 + u * 60_000) >= 4 - 1e-9;
        },
      ),
    );
  });

  it('give the same samples for the same time, and faults inside their window only', () => {
    const { scenario } = parseScenario(
      `${BASE.replace('temperature: { kind: steady, tempC: 5 }', 'temperature: { kind: steady, tempC: 5, noiseC: 0.5 }')}  - at: 2h\n    sensorFault: { sensor: s-1, fault: no_answer, duration: 30m }\n`,
    );
    const [a] = sensorTimelines(scenario, 60_000).get('gw-1')!;
    const [b] = sensorTimelines(scenario, 60_000).get('gw-1')!;
    for (const ms of [0, 60_000, 3_600_000, 7_000_000]) expect(a!.sample(ms)).toEqual(b!.sample(ms));
    expect(a!.sample(2 * 3_600_000).kind).toBe('fault');
    expect(a!.sample(2.5 * 3_600_000).kind).toBe('value');
  });
});

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
