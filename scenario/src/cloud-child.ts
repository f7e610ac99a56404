/**
 * The scenario's cloud in its own process (`fork` with tsx), on the scenario clock: the embedded
 * broker, ingest, domain engine and SQLite store run here so that their synchronous database work
 * never stalls the gateways' polling and the simulators' answers in the runner process (a stall there
 * would move reading timestamps by whole ticks). Driven over IPC by `cloud-host.ts`.
 */
import { join } from 'node:path';
import { type Cloud, startCloud, UserStore } from '@coldtrace/cloud';
import { ColdtraceError, errorMessage, type ScenarioClockParams, scenarioClock } from '@coldtrace/shared';
import pino, { type Logger } from 'pino';
import { observe } from './observe.js';
import type { Scenario } from './scenario-schema.js';
import { lotEpcs } from './units.js';

export interface CloudStartInput {
  scenario: Scenario;
  dataDir: string;
  httpPort: number;
  mqttPort: number;
  scale: number;
  startMs: number;
  tickMs: number;
}

export type CloudRequest =
  | { id: number; type: 'start'; input: CloudStartInput }
  | { id: number; type: 'begin'; realAnchorMs: number }
  | { id: number; type: 'counts' }
  | { id: number; type: 'gateway-status'; gatewayId: string }
  | { id: number; type: 'observe' }
  | { id: number; type: 'close' };

let cloud: Cloud | undefined;
let input: CloudStartInput | undefined;
let log: Logger | undefined;
let api: ApiCall | undefined;
const params: ScenarioClockParams = {
  startMs: 0,
  realAnchorMs: Number.POSITIVE_INFINITY,
  scale: 1,
  tickMs: 0,
};

async function handle(req: CloudRequest): Promise<unknown> {
  switch (req.type) {
    case 'start': {
      input = req.input;
      const s = input.scenario;
      Object.assign(params, { startMs: input.startMs, scale: input.scale, tickMs: input.tickMs });
      log = pino(
        { level: 'info' },
        pino.destination({ dest: join(input.dataDir, 'cloud.log'), mkdir: true, sync: false }),
      );
      cloud = await startCloud(
        {
          database: `sqlite:${join(input.dataDir, 'cloud.db')}`,
          http: { host: '127.0.0.1', port: input.httpPort },
          mqtt: { embedded: { host: '127.0.0.1', port: input.mqttPort } },
          // Recompute at most every ~0.25 s of real time; the final state is flushed explicitly.
          evaluation: { debounceMs: Math.round(250 * input.scale) },
          logLevel: 'warn',
        },
        { clock: scenarioClock(params), log },
      );
      // The runner's own integration token (admin), used for master data and to read conclusions.
      const { token } = await new UserStore(cloud.store.db).createToken(
        { name: 'scenario-runner', roles: ['admin'], userId: null },
        input.startMs,
      );
      api = apiClient(cloud.httpUrl, token);
      const secrets = await seedMasterData(api, s);
      return { httpUrl: cloud.httpUrl, mqttUrl: cloud.mqttUrl, secrets };
    }
    case 'begin':
      params.realAnchorMs = req.realAnchorMs;
      return null;
    case 'counts': {
      const c = need();
      return { counts: await c.store.counts(), excursions: await c.store.listExcursions() };
    }
    case 'gateway-status': {
      const row = await need()
        .store.db.selectFrom('gateways')
        .select(['status_json', 'online'])
        .where('id', '=', req.gatewayId)
        .executeTakeFirst();
      return row ?? null;
    }
    case 'observe': {
      const c = need();
      // Derived state of everything that arrived: custody of every EPC moved, every location's excursions.
      const epcs = new Set((await c.store.listMovements({ limit: 1_000_000 })).map((m) => m.epc));
      c.evaluator.engine.markEpcs(epcs);
      c.evaluator.markDirty(input!.scenario.locations.map((l) => l.id));
      await c.evaluator.flush();
      await c.cumulative.flush();
      return observe(c, input!.scenario, input!.startMs, api!);
    }
    case 'close':
      await cloud?.close();
      cloud = undefined;
      log?.flush();
      return null;
  }
}

function need(): Cloud {
  if (!cloud) throw new Error('cloud not started');
  return cloud;
}

/** The cloud's HTTP API as the runner's admin token sees it; a non-2xx answer throws with the route and body. */
export type ApiCall = (method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown) => Promise<unknown>;

function apiClient(baseUrl: string, token: string): ApiCall {
  return async (method, path, body) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok)
      throw new ColdtraceError(
        'scenario_api_failed',
        `${method} ${path} answered HTTP ${res.status}: ${text.slice(0, 500)}`,
      );
    return text ? (JSON.parse(text) as unknown) : null;
  };
}

/**
 * Master data through the cloud's own API, as an operator would enter it: locations, products (with
 * their cumulative rules), lots, EPC commissioning, portals, sensors, and gateway credentials. Any
 * refusal stops the run with the route and the cloud's answer (a scenario must not run on master data
 * the cloud did not accept).
 */
async function seedMasterData(api: ApiCall, s: Scenario): Promise<Record<string, string>> {
  const step = async (what: string, fn: () => Promise<unknown>) => {
    try {
      return await fn();
    } catch (err) {
      throw new ColdtraceError(
        'scenario_seed_failed',
        `master data not accepted (${what}): ${errorMessage(err)}`,
      );
    }
  };
  for (const loc of s.locations)
    await step(`location ${loc.id}`, () =>
      api('PUT', `/api/v1/locations/${encodeURIComponent(loc.id)}`, {
        name: loc.name ?? loc.id,
        kind: loc.kind,
        minC: loc.limits.minC,
        maxC: loc.limits.maxC,
        alarmDelayMs: loc.limits.alarmDelay,
        criticalMarginC: loc.limits.criticalMarginC,
        maxGapMs: loc.limits.maxGap,
      }),
    );
  for (const p of s.products)
    await step(`product ${p.gtin}`, () =>
      api('PUT', `/api/v1/products/${p.gtin}`, {
        name: p.name,
        minC: p.minC,
        maxC: p.maxC,
        stabilityBudgetMs: p.stabilityBudget,
        cumulativeRules: p.cumulativeRules.map((r) =>
          'aboveC' in r
            ? { kind: 'above', thresholdC: r.aboveC, limitMs: r.max }
            : { kind: 'below', thresholdC: r.belowC, limitMs: r.max },
        ),
      }),
    );
  for (const lot of s.lots) {
    await step(`lot ${lot.id}`, () =>
      api('PUT', `/api/v1/lots/${encodeURIComponent(lot.id)}`, {
        gtin: lot.gtin,
        lotNumber: lot.lotNumber,
        expiry: lot.expiry,
      }),
    );
    const epcs = lotEpcs(lot);
    for (let i = 0; i < epcs.length; i += 5000)
      await step(`EPCs of lot ${lot.id}`, () =>
        api('POST', `/api/v1/lots/${encodeURIComponent(lot.id)}/epcs`, { epcs: epcs.slice(i, i + 5000) }),
      );
  }
  const secrets: Record<string, string> = {};
  for (const g of s.gateways) {
    const r = (await step(`gateway ${g.id}`, () =>
      api('POST', `/api/v1/gateways/${encodeURIComponent(g.id)}/credentials`, { name: g.name ?? g.id }),
    )) as { password: string };
    secrets[g.id] = r.password;
    for (const p of g.portals)
      await step(`portal ${p.id}`, () =>
        api('PUT', `/api/v1/portals/${encodeURIComponent(p.id)}`, {
          name: p.name ?? p.id,
          gatewayId: g.id,
          from: p.outside,
          to: p.inside,
        }),
      );
    for (const x of g.sensors)
      await step(`sensor ${x.id}`, () =>
        api('PUT', `/api/v1/sensors/${encodeURIComponent(x.id)}`, {
          name: x.id,
          locationId: x.location,
          gatewayId: g.id,
        }),
      );
  }
  return secrets;
}

process.on('message', (req: CloudRequest) => {
  handle(req).then(
    (value) => process.send?.({ id: req.id, ok: true, value }),
    (err) => process.send?.({ id: req.id, ok: false, error: errorMessage(err) }),
  );
});
process.on('disconnect', () => {
  void (cloud?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
