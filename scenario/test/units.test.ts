import { describe, expect, it } from 'vitest';
import { parseScenario } from '../src/load-scenario.js';
import { resolveUnits } from '../src/units.js';
import { BASE } from './base-scenario.js';

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
