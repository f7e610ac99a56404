import { ColdtraceError } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../src/load-scenario.js';
import { BASE } from './base-scenario.js';

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
