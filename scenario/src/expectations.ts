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
  /** Every expectation held and the run had no problem. */
  pass: boolean;
  results: ExpectationResult[];
  /** What made the run unreliable (events not carried out, gateways not drained): each fails the check. */
  problems: string[];
}

const t = (ms: number) => `+${d(ms)}`;

/**
 * Evaluates every expectation of the scenario against what the system concluded. `problems` (the run's:
 * events not carried out, gateways not drained) fail the check too: conclusions drawn from a run that
 * did not happen as written prove nothing.
 */
export function checkExpectations(
  loaded: LoadedScenario,
  o: Observed,
  problems: readonly string[] = [],
): CheckResult {
  const s = loaded.scenario;
  const results = s.expect.map((x, index): ExpectationResult => {
    const line = loaded.lineOf(['expect', index]);
    const r = evaluate(x, index, o, s, s.clock.tick * DEFAULT_TOLERANCE_TICKS);
    return { index, line, ...r };
  });
  return { pass: results.every((r) => r.pass) && problems.length === 0, results, problems: [...problems] };
}

function evaluate(
  x: Expectation,
  index: number,
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
    const cause = 'locked' in x ? x.locked.cause : undefined;
    const epcs = resolveUnits(s, units);
    const label = `${typeof units === 'string' ? units : units.join(', ')} (${epcs.length} units)`;
    const expected = `${label} ${want ? 'locked' : 'not locked'}${cause ? ` (cause: ${cause})` : ''}`;
    if (!o.locks)
      return {
        expected,
        observed: 'the cloud has no lock table (domain engine absent)',
        pass: false,
        unavailable: true,
      };
    const activeLocks = o.locks.filter((l) => l.state === 'active');
    const active = new Set(activeLocks.filter((l) => !cause || l.cause === cause).map((l) => l.epc));
    const locked = epcs.filter((e) => active.has(e)).length;
    const pass = want ? locked === epcs.length : locked === 0;
    const causes = [...new Set(activeLocks.filter((l) => epcs.includes(l.epc)).map((l) => l.cause))].sort();
    return {
      expected,
      observed: `${locked} of ${epcs.length} locked${cause ? ` by ${cause}` : ''}${causes.length ? ` (active lock causes: ${causes.join(', ')})` : ''}`,
      pass,
    };
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
    const c = x.deadLetters;
    const matching = o.deadLetterList.filter(
      (d) => (!c.code || d.code === c.code) && (!c.reason || d.reason.includes(c.reason)),
    );
    const n = c.code || c.reason ? matching.length : o.deadLetters;
    const codes = new Map<string, number>();
    for (const d of o.deadLetterList) codes.set(d.code, (codes.get(d.code) ?? 0) + 1);
    const all = [...codes].map(([k, v]) => `${v} ${k}`).join(', ');
    return {
      expected: `${c.count} dead letter(s)${c.code ? ` with code ${c.code}` : ''}${c.reason ? ` whose reason contains ${JSON.stringify(c.reason)}` : ''}`,
      observed: `${n}${o.deadLetters ? ` (all: ${all}${matching[0] ? `; e.g. ${matching[0].code}: ${matching[0].reason}` : ''})` : ''}`,
      pass: n === c.count,
    };
  }
  if ('readings' in x) {
    const c = x.readings;
    const q = o.received.queries[index];
    const n = q?.n ?? 0;
    const maxC = q?.maxC ?? null;
    const where = [
      c.sensor ? ` from sensor ${c.sensor}` : '',
      c.gateway ? ` from gateway ${c.gateway}` : '',
      c.from !== undefined || c.to !== undefined
        ? ` stamped ${t(c.from ?? 0)}–${c.to === undefined ? 'end' : t(c.to)}`
        : '',
    ].join('');
    const wants = [
      c.atLeast !== undefined ? `≥ ${c.atLeast}` : '',
      c.atMost !== undefined ? `≤ ${c.atMost}` : '',
      c.maxAtLeast !== undefined ? `highest ≥ ${c.maxAtLeast} °C` : '',
      c.maxBelow !== undefined ? `highest < ${c.maxBelow} °C` : '',
    ].filter(Boolean);
    const pass =
      q !== undefined &&
      (c.atLeast === undefined || n >= c.atLeast) &&
      (c.atMost === undefined || n <= c.atMost) &&
      (c.maxAtLeast === undefined || (maxC !== null && maxC >= c.maxAtLeast)) &&
      (c.maxBelow === undefined || (maxC !== null && maxC < c.maxBelow));
    return {
      expected: `readings received${where}: ${wants.join(', ')}`,
      observed: `${n} reading(s)${maxC === null ? '' : `, highest ${maxC.toFixed(1)} °C`}`,
      pass,
    };
  }
  if ('movements' in x) {
    const c = x.movements;
    const n = o.received.movements
      .filter((r) => (!c.portal || r.portalId === c.portal) && (!c.gateway || r.gatewayId === c.gateway))
      .reduce((a, r) => a + r.n, 0);
    const bounds = [
      c.atLeast !== undefined ? `≥ ${c.atLeast}` : '',
      c.atMost !== undefined ? `≤ ${c.atMost}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return {
      expected: `movements received${c.portal ? ` through portal ${c.portal}` : ''}${c.gateway ? ` from gateway ${c.gateway}` : ''}: ${bounds}`,
      observed: `${n}`,
      pass: (c.atLeast === undefined || n >= c.atLeast) && (c.atMost === undefined || n <= c.atMost),
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
  const c = x.cumulativeRule;
  const kind = c.aboveC !== undefined ? 'above' : 'below';
  const threshold = (c.aboveC ?? c.belowC)!;
  const parts = [
    c.exceeded === undefined ? '' : c.exceeded ? 'exceeded' : 'not exceeded',
    c.exposedAtLeast !== undefined ? `worst unit ≥ ${d(c.exposedAtLeast)} ${kind}` : '',
    c.exposedBelow !== undefined ? `< ${d(c.exposedBelow)} ${kind}` : '',
  ].filter(Boolean);
  const expected = `lot ${c.lot}: cumulative rule ${kind} ${threshold} °C ${parts.join(', ')}`;
  const lot = o.lots[c.lot];
  if (!lot)
    return {
      expected,
      observed: `the cloud's lot API does not know lot ${c.lot}`,
      pass: false,
      unavailable: true,
    };
  const r = lot.cumulative.find((x2) => x2.rule.kind === kind && x2.rule.thresholdC === threshold);
  if (!r)
    return {
      expected,
      observed: `the cloud has no such rule for lot ${c.lot} (rules: ${lot.cumulative.map((x2) => `${x2.rule.kind} ${x2.rule.thresholdC} °C`).join(', ') || 'none'})`,
      pass: false,
    };
  const pass =
    (c.exceeded === undefined || r.exceeded === c.exceeded) &&
    (c.exposedAtLeast === undefined || r.exposedMs >= c.exposedAtLeast) &&
    (c.exposedBelow === undefined || r.exposedMs < c.exposedBelow);
  return {
    expected,
    observed: `${r.exceeded ? 'exceeded' : 'not exceeded'} (limit ${d(r.limitMs)}): worst unit ${d(r.exposedMs)} ${kind} ${threshold} °C, ${r.unitsExceeded} unit(s) over the limit, ${r.lockedUnits} locked by it`,
    pass,
  };
}

function describeOne(x: Observed['excursions'][number]): string {
  return `${x.locationId} ${t(x.startMs)}–${x.endMs === null ? 'ongoing' : t(x.endMs)}${x.critical ? ' critical' : ''} peak ${x.peakC.toFixed(1)} °C`;
}

/** The readable diff `--check` prints: one block per failed expectation, naming its line. */
export function formatDiff(source: string, r: CheckResult): string {
  const failed = r.results.filter((x) => !x.pass);
  const problems = r.problems.map((p) => `${source}: RUN FAILED: ${p}\n`).join('');
  const verdict = r.problems.length
    ? `the run had ${r.problems.length} problem(s): its conclusions are not evidence\n`
    : '';
  if (failed.length === 0)
    return `${problems}${source}: all ${r.results.length} expectation(s) met\n${verdict}`;
  const lines = failed.map(
    (x) =>
      `${source}:${x.line}: expectation ${x.index + 1} FAILED${x.unavailable ? ' (cannot be evaluated yet)' : ''}\n  - expected: ${x.expected}\n  + observed: ${x.observed}`,
  );
  return `${problems}${lines.join('\n')}\n${failed.length} of ${r.results.length} expectation(s) failed\n${verdict}`;
}
