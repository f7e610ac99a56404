import { readFileSync } from 'node:fs';
import { ColdtraceError, gtinOf } from '@coldtrace/shared';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { childGatewayIds, type Scenario, scenarioSchema } from './scenario-schema.js';
import { resolveUnits, selectUnits, unitEpc } from './units.js';

export interface LoadedScenario {
  scenario: Scenario;
  /** The file it came from (or `<inline>`). */
  source: string;
  /** The 1-based line of a path in the file (the nearest existing parent's line if the path is absent). */
  lineOf(path: ReadonlyArray<string | number>): number;
}

/** Parses and validates a scenario (YAML or JSON text); every problem is listed with its line. */
export function parseScenario(text: string, source = '<inline>'): LoadedScenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const line = e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line;
      return `  ${source}:${line}: ${e.message.split('\n')[0]}`;
    });
    throw new ColdtraceError('invalid_scenario', `not valid YAML/JSON\n${lines.join('\n')}`);
  }
  const lineOf = (path: ReadonlyArray<string | number>): number => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return 1;
  };
  const parsed = scenarioSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
      return `  ${source}:${lineOf(path)}: ${path.join('.') || '(root)'}: ${i.message}`;
    });
    throw new ColdtraceError('invalid_scenario', `invalid scenario\n${lines.join('\n')}`);
  }
  const scenario = parsed.data;
  const problems = crossCheck(scenario).map(
    (p) => `  ${source}:${lineOf(p.path)}: ${p.path.join('.')}: ${p.message}`,
  );
  if (problems.length > 0)
    throw new ColdtraceError('invalid_scenario', `invalid scenario\n${problems.join('\n')}`);
  return { scenario, source, lineOf };
}

/** Reads a scenario file. */
export function loadScenario(file: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ColdtraceError('invalid_scenario', `${file}: cannot read: ${(err as Error).message}`);
  }
  return parseScenario(text, file);
}

interface Problem {
  path: Array<string | number>;
  message: string;
}

/** References between sections: every id used must be defined, once. */
function crossCheck(s: Scenario): Problem[] {
  const out: Problem[] = [];
  const locations = new Set(s.locations.map((l) => l.id));
  const gateways = new Set(s.gateways.map((g) => g.id));
  const portals = new Map<string, string>();
  const sensors = new Set<string>();
  const stations = new Set<string>();
  const dup = (kind: string, ids: string[], path: string) => {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id)) out.push({ path: [path, i, 'id'], message: `${kind} ${id} is defined twice` });
      seen.add(id);
    });
  };
  dup(
    'location',
    s.locations.map((l) => l.id),
    'locations',
  );
  dup(
    'gateway',
    s.gateways.map((g) => g.id),
    'gateways',
  );
  dup(
    'lot',
    s.lots.map((l) => l.id),
    'lots',
  );
  const gtins = new Set(s.products.map((p) => p.gtin));
  // The cloud refuses a lot of an unregistered product: every lot needs its product.
  s.lots.forEach((l, i) => {
    if (!gtins.has(l.gtin))
      out.push({ path: ['lots', i, 'gtin'], message: `no product with GTIN ${l.gtin} (add it to products)` });
    // The cloud refuses to commission an SGTIN whose GTIN is not the lot's.
    const encoded = gtinOf(unitEpc(l, l.serials.from));
    if (encoded !== null && encoded !== l.gtin)
      out.push({
        path: ['lots', i, 'gtin'],
        message: `company prefix ${l.companyPrefix} and item reference ${l.itemRef} make GTIN ${encoded}, not ${l.gtin}`,
      });
  });
  const loc = (id: string, path: Array<string | number>) => {
    if (!locations.has(id)) out.push({ path, message: `unknown location ${id}` });
  };
  s.gateways.forEach((g, gi) => {
    g.locations?.forEach((l, li) => {
      loc(l, ['gateways', gi, 'locations', li]);
    });
    g.portals.forEach((p, pi) => {
      if (portals.has(p.id))
        out.push({ path: ['gateways', gi, 'portals', pi, 'id'], message: `portal ${p.id} is defined twice` });
      portals.set(p.id, g.id);
      loc(p.inside, ['gateways', gi, 'portals', pi, 'inside']);
      loc(p.outside, ['gateways', gi, 'portals', pi, 'outside']);
      if (p.inside === p.outside)
        out.push({
          path: ['gateways', gi, 'portals', pi, 'outside'],
          message: `portal ${p.id} has ${p.inside} on both sides: a pass through it changes no custody`,
        });
    });
    const addresses = new Set<number>();
    g.sensors.forEach((x, si) => {
      if (sensors.has(x.id))
        out.push({ path: ['gateways', gi, 'sensors', si, 'id'], message: `sensor ${x.id} is defined twice` });
      sensors.add(x.id);
      loc(x.location, ['gateways', gi, 'sensors', si, 'location']);
      const a = x.address ?? si + 1;
      if (addresses.has(a))
        out.push({
          path: ['gateways', gi, 'sensors', si, 'address'],
          message: `address ${a} used twice on ${g.id}'s bus`,
        });
      addresses.add(a);
    });
    g.scanStations.forEach((st, si) => {
      if (stations.has(st.id))
        out.push({
          path: ['gateways', gi, 'scanStations', si, 'id'],
          message: `scan station ${st.id} is defined twice`,
        });
      stations.add(st.id);
      loc(st.location, ['gateways', gi, 'scanStations', si, 'location']);
    });
  });
  const childIds = new Set(childGatewayIds(s));
  s.gateways.forEach((g, gi) => {
    // The runner counts what a station read to know a scan is done: it needs the gateway in its process.
    if (g.scanStations.length > 0 && childIds.has(g.id))
      out.push({
        path: ['gateways', gi, 'scanStations'],
        message: `gateway ${g.id} runs as a child process (process: child or a power loss): scan stations need it in-process`,
      });
  });
  const units = (sel: string | string[], path: Array<string | number>) => {
    try {
      resolveUnits(s, sel);
    } catch (err) {
      out.push({ path, message: (err as Error).message });
    }
  };
  const untaggedLots = (sel: string | string[]) => {
    try {
      return [...new Set(selectUnits(s, sel).flatMap(({ lot }) => (lot.tagged ? [] : [lot.id])))];
    } catch {
      return []; // reported by `units`
    }
  };
  s.timeline.forEach((e, i) => {
    const p = (k: string) => ['timeline', i, k];
    if ('move' in e) {
      if (!portals.has(e.move.portal))
        out.push({ path: [...p('move'), 'portal'], message: `unknown portal ${e.move.portal}` });
      units(e.move.units, [...p('move'), 'units']);
      const untagged = untaggedLots(e.move.units);
      if (untagged.length > 0)
        out.push({
          path: [...p('move'), 'units'],
          message: `lot ${untagged.join(', ')} is not tagged (tagged: false): a portal cannot read it; scan it`,
        });
    } else if ('scan' in e) {
      if (!stations.has(e.scan.station))
        out.push({ path: [...p('scan'), 'station'], message: `unknown scan station ${e.scan.station}` });
      units(e.scan.units, [...p('scan'), 'units']);
    } else if ('temperature' in e) loc(e.temperature.location, [...p('temperature'), 'location']);
    else if ('sensorFault' in e) {
      if (!sensors.has(e.sensorFault.sensor))
        out.push({
          path: [...p('sensorFault'), 'sensor'],
          message: `unknown sensor ${e.sensorFault.sensor}`,
        });
    } else if ('uplinkLoss' in e) {
      if (!gateways.has(e.uplinkLoss.gateway))
        out.push({
          path: [...p('uplinkLoss'), 'gateway'],
          message: `unknown gateway ${e.uplinkLoss.gateway}`,
        });
    } else if ('powerLoss' in e) {
      if (!gateways.has(e.powerLoss.gateway))
        out.push({ path: [...p('powerLoss'), 'gateway'], message: `unknown gateway ${e.powerLoss.gateway}` });
    } else if ('roguePublish' in e) {
      if (!gateways.has(e.roguePublish.gateway))
        out.push({
          path: [...p('roguePublish'), 'gateway'],
          message: `unknown gateway ${e.roguePublish.gateway}`,
        });
    } else if ('readerDisconnect' in e) {
      if (!portals.has(e.readerDisconnect.portal))
        out.push({
          path: [...p('readerDisconnect'), 'portal'],
          message: `unknown portal ${e.readerDisconnect.portal}`,
        });
    }
    if (e.at > s.duration)
      out.push({ path: ['timeline', i, 'at'], message: 'after the end of the scenario (duration)' });
  });
  s.expect.forEach((x, i) => {
    const [kind, body] = Object.entries(x)[0] as [string, Record<string, unknown>];
    const path = ['expect', i, kind];
    if (typeof body.location === 'string') loc(body.location, [...path, 'location']);
    if (body.units !== undefined) units(body.units as string | string[], [...path, 'units']);
    if (typeof body.sensor === 'string' && !sensors.has(body.sensor))
      out.push({ path: [...path, 'sensor'], message: `unknown sensor ${body.sensor}` });
    if (typeof body.lot === 'string' && !s.lots.some((l) => l.id === body.lot))
      out.push({ path: [...path, 'lot'], message: `unknown lot ${body.lot}` });
    if (typeof body.gateway === 'string' && !gateways.has(body.gateway))
      out.push({ path: [...path, 'gateway'], message: `unknown gateway ${body.gateway}` });
    if (typeof body.portal === 'string' && !portals.has(body.portal))
      out.push({ path: [...path, 'portal'], message: `unknown portal ${body.portal}` });
    if ('cumulativeRule' in x) {
      const c = x.cumulativeRule;
      const lot = s.lots.find((l) => l.id === c.lot);
      const rules = s.products.find((pr) => pr.gtin === lot?.gtin)?.cumulativeRules ?? [];
      const has = rules.some((r) =>
        c.aboveC !== undefined
          ? 'aboveC' in r && r.aboveC === c.aboveC
          : 'belowC' in r && r.belowC === c.belowC,
      );
      if (lot && !has)
        out.push({
          path,
          message: `the product of lot ${c.lot} has no cumulative rule ${c.aboveC !== undefined ? `above ${c.aboveC}` : `below ${c.belowC}`} °C`,
        });
    }
  });
  return out;
}
