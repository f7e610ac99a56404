import { ColdtraceError, errorMessage } from '@coldtrace/shared';
import type { Scenario } from '../scenario-schema.js';
import { lotEpcs } from '../units.js';

/** The cloud's HTTP API as the runner's admin token sees it; a non-2xx answer throws with the route and body. */
export type ApiCall = (method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown) => Promise<unknown>;

export function apiClient(baseUrl: string, token: string): ApiCall {
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
 * the cloud did not accept). Returns each gateway's MQTT secret.
 */
export async function seedMasterData(api: ApiCall, s: Scenario): Promise<Record<string, string>> {
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
