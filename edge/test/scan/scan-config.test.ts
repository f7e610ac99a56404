import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@coldtrace/shared/testing';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseGatewayConfig } from '../../src/config.js';

const base = { gatewayId: 'gw-1', mqtt: { url: 'mqtt://127.0.0.1:1883' } };
const station = { id: 'dock-1', path: '/dev/ttyACM0', locationId: 'bay-1', direction: 'receiving' };

describe('scan station config', () => {
  it('fills the defaults', () => {
    expect(parseGatewayConfig({ ...base, scanStations: [station] }).scanStations).toEqual([
      {
        ...station,
        baudRate: 9600,
        prefix: '',
        symbologyId: 'auto',
        maxLength: 1024,
        hibcPairMs: 60_000,
        reopenMs: 2_000,
      },
    ]);
    expect(parseGatewayConfig(base).scanStations).toEqual([]);
  });

  it.each([
    [
      'a direction that is not a station purpose',
      [{ ...station, direction: 'in' }],
      'scanStations.0.direction',
    ],
    [
      'an FNC1 stand-in GS1 data can hold',
      [{ ...station, fnc1As: 'A' }],
      'must not be a character GS1 data can hold',
    ],
    [
      'the same id twice',
      [station, { ...station, path: '/dev/ttyACM1' }],
      'a scan station id is listed twice',
    ],
    ['an unknown field', [{ ...station, beep: true }], 'scanStations.0'],
  ])('refuses %s', (_what, scanStations, message) => {
    expect(() => parseGatewayConfig({ ...base, scanStations })).toThrow(message);
  });

  it('refuses a page station with the id of a serial station (one id, one station)', () => {
    const scanPage = { port: 8088, stations: [{ id: 'dock-1', locationId: 'bay-1', direction: 'picking' }] };
    expect(() => parseGatewayConfig({ ...base, scanStations: [station], scanPage })).toThrow(
      'a scan station id is listed twice',
    );
  });

  it("the README's gateway example configures a valid scan station", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const yaml = /Gateway \(`coldtrace edge --config gw.yaml`\):\n\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeDefined();
    expect(parseGatewayConfig(parseYaml(yaml!), 'README.md').scanStations).toMatchObject([
      { id: 'dock-1-scanner', direction: 'receiving', symbologyId: 'required' },
    ]);
  });
});
