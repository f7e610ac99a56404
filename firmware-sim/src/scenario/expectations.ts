import { formatDuration as d } from './duration.js';
import type { LoadedScenario } from './load-scenario.js';
import type { Observed } from './observe.js';
import type { Expectation } from './scenario-schema.js';
import { resolveUnits } from './units.js';

/** Default tolerance on expected times: two clock ticks (readings are stamped per tick). */
const DEFAULT_TOLERANCE_TICKS = 2;

export interface ExpectationResult {
  /** Index in `expect`. */
  index: number;
  /** 1-based line of the expectation in the scenario file. */
  line: number;
  /** What was expected, in words. */
  expected: string;
  /** What the system concluded, in words. */
  observed: string;
  pass: boolean;
  /** The expectation kind cannot be evaluated against this cloud (e.g. no lock table yet). */
  unavailable?: boolean;
}

export interface CheckResult {
  pass: boolean;
  results: ExpectationResult[];
}

const t = (ms: number) => `+${d(ms)}`;

/** Evaluates every expectation of the scenario against what the system concluded. */
export function checkExpectations(loaded: LoadedScenario, o: Observed): CheckResult {
  const s = loaded.scenario;
  const results = s.expect.map((x, index): ExpectationResult => {
    const line = loaded.lineOf(['expect', index]);
    const r = evaluate(x, o, s, s.clock.tick * DEFAULT_TOLERANCE_TICKS);
    return { index, line, ...r };
  });
  return { pass: results.every((r) => r.pass), results };
}

function evaluate(
  x: Expectation,
  o: Observed,
  s: LoadedScenario['scenario'],
  defaultTol: number,
): Omit<ExpectationResult, 'index' | 'line'> {
  if ('excursion' in x) {
    const e = x.excursion;
    const tol = e.tolerance ?? defaultTol;
    const expected = `excursion at ${e.location} starting ${t(e.start)}${e.end === undefined ? '' : e.end === 'ongoing' ? ', still ongoing' : `, ending ${t(e.end)}`} (±${d(tol)})${e.critical === undefined ? '' : e.critical ? ', critical' : ', not critical'}`;
    const here = o.excursions.filter((x2) => x2.locationId === e.location);
    const match = here.find(
      (x2) =>
        Math.abs(x2.startMs - e.start) <= tol &&
        (e.end === undefined ||
          (e.end === 'ongoing'
            ? x2.endMs === null
            : x2.endMs !== null && Math.abs(x2.endMs - e.end) <= tol)) &&
        (e.critical === undefined || x2.critical === e.critical),
    );
    const describe = here.length
      ? here
          .map(
            (x2) =>
              `${t(x2.startMs)}–${x2.endMs === null ? 'ongoing' : t(x2.endMs)}${x2.critical ? ' critical' : ''} peak ${x2.peakC.toFixed(1)} °C`,
          )
          .join('; ')
      : 'none';
    return {
      expected,
      observed: match ? describeOne(match) : `excursions at ${e.location}: ${describe}`,
      pass: Boolean(match),
    };
  }
  if ('excursionCount' in x) {
    const c = x.excursionCount;
    const n = o.excursions.filter((e) => !c.location || e.locationId === c.location).length;
    return {
      expected: `${c.count} excursion(s)${c.location ? ` at ${c.location}` : ''}`,
      observed: `${n}`,
      pass: n === c.count,
    };
  }
  if ('locked' in x || 'unlocked' in x) {
    const want = 'locked' in x;
    const units = 'locked' in x ? x.locked.units : x.unlocked.units;
    const epcs = resolveUnits(s, units);
    const label = `${typeof units === 'string' ? units : units.join(', ')} (${epcs.length} units)`;
    const expected = `${label} ${want ? 'locked' : 'not locked'}`;
    if (!o.locks)
      return {
        expected,
        observed: 'the cloud has no lock table (domain engine absent)',
        pass: false,
        unavailable: true,
      };
    const active = new Set(o.locks.filter((l) => l.state === 'active').map((l) => l.epc));
    const locked = epcs.filter((e) => active.has(e)).length;
    const pass = want ? locked === epcs.length : locked === 0;
    return { expected, observed: `${locked} of ${epcs.length} locked`, pass };
  }
  if ('custody' in x) {
    const c = x.custody;
    const epcs = resolveUnits(s, c.units);
    const expected = `${typeof c.units === 'string' ? c.units : c.units.join(', ')} (${epcs.length} units) at ${c.location} at ${t(c.at)}`;
    if (!o.custody)
      return {
        expected,
        observed: 'the cloud has no custody table (domain engine absent)',
        pass: false,
        unavailable: true,
      };
    const where = new Map<string, number>();
    for (const epc of epcs) {
      const iv = o.custody.find(
        (r) => r.epc === epc && r.enteredMs <= c.at && (r.leftMs === null || c.at < r.leftMs),
      );
      const loc = iv?.locationId ?? '(unknown)';
      where.set(loc, (where.get(loc) ?? 0) + 1);
    }
    const observed = [...where.entries()].map(([l, n]) => `${n} at ${l}`).join(', ');
    return { expected, observed, pass: where.get(c.location) === epcs.length };
  }
  if ('monitoringGap' in x) {
    const g = x.monitoringGap;
    const tol = g.tolerance ?? defaultTol;
    const expected = `monitoring gap at ${g.location}${g.sensor ? ` (${g.sensor})` : ''} ${t(g.from)}–${t(g.to)} (±${d(tol)})`;
    const here = o.monitoringGaps.filter(
      (x2) => x2.locationId === g.location && (!g.sensor || x2.sensorId === g.sensor),
    );
    const match = here.find((x2) => Math.abs(x2.fromMs - g.from) <= tol && Math.abs(x2.toMs - g.to) <= tol);
    const describe = here.length
      ? here.map((x2) => `${x2.sensorId} ${t(x2.fromMs)}–${t(x2.toMs)}`).join('; ')
      : 'none';
    return {
      expected,
      observed: match
        ? `${match.sensorId} ${t(match.fromMs)}–${t(match.toMs)}`
        : `gaps at ${g.location}: ${describe}`,
      pass: Boolean(match),
    };
  }
  if ('monitoringGapCount' in x) {
    const c = x.monitoringGapCount;
    const n = o.monitoringGaps.filter((g) => !c.location || g.locationId === c.location).length;
    return {
      expected: `${c.count} monitoring gap(s)${c.location ? ` at ${c.location}` : ''}`,
      observed: `${n}`,
      pass: n === c.count,
    };
  }
  if ('deadLetters' in x) {
    return {
      expected: `${x.deadLetters.count} dead letter(s)`,
      observed: `${o.deadLetters}`,
      pass: o.deadLetters === x.deadLetters.count,
    };
  }
  if ('sequenceHoles' in x) {
    const c = x.sequenceHoles;
    const n = o.sequenceHoles
      .filter((h) => !c.gateway || h.gatewayId === c.gateway)
      .reduce((a, h) => a + h.holes, 0);
    return {
      expected: `${c.count} sequence hole(s)${c.gateway ? ` from ${c.gateway}` : ''}`,
      observed: `${n}`,
      pass: n === c.count,
    };
  }
  const c = x.cumulativeAbove;
  const expected = `lot ${c.lot}: time above ${c.aboveC} °C ${c.atLeast !== undefined ? `≥ ${d(c.atLeast)}` : ''}${c.atLeast !== undefined && c.below !== undefined ? ' and ' : ''}${c.below !== undefined ? `< ${d(c.below)}` : ''}`;
  if (!o.custody)
    return {
      expected,
      observed: 'the cloud has no custody table (domain engine absent)',
      pass: false,
      unavailable: true,
    };
  const ms = o.cumulativeAbove[c.lot]?.[String(c.aboveC)] ?? 0;
  const pass = (c.atLeast === undefined || ms >= c.atLeast) && (c.below === undefined || ms < c.below);
  return { expected, observed: d(ms), pass };
}

function describeOne(x: Observed['excursions'][number]): string {
  return `${x.locationId} ${t(x.startMs)}–${x.endMs === null ? 'ongoing' : t(x.endMs)}${x.critical ? ' critical' : ''} peak ${x.peakC.toFixed(1)} °C`;
}

/** The readable diff `--check` prints: one block per failed expectation, naming its line. */
export function formatDiff(source: string, r: CheckResult): string {
  const failed = r.results.filter((x) => !x.pass);
  if (failed.length === 0) return `${source}: all ${r.results.length} expectation(s) met\n`;
  const lines = failed.map(
    (x) =>
      `${source}:${x.line}: expectation ${x.index + 1} FAILED${x.unavailable ? ' (cannot be evaluated yet)' : ''}\n  - expected: ${x.expected}\n  + observed: ${x.observed}`,
  );
  return `${lines.join('\n')}\n${failed.length} of ${r.results.length} expectation(s) failed\n`;
}
