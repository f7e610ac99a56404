/**
 * The scenario's cloud in its own process (`fork` with tsx), on the scenario clock: the embedded
 * broker, ingest, domain engine and SQLite store run here so that their synchronous database work
 * never stalls the gateways' polling and the simulators' answers in the runner process (a stall there
 * would move reading timestamps by whole ticks). Driven over IPC by `cloud-host.ts`.
 */
import { join } from 'node:path';
import { type Cloud, startCloud } from '@coldtrace/cloud/cloud';
import { registerGateway } from '@coldtrace/cloud/gateways/register-gateway';
import { errorMessage, type ScenarioClockParams, scenarioClock } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
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
      await seedMasterData(cloud, s, input.startMs, log);
      const secrets: Record<string, string> = {};
      for (const g of s.gateways)
        secrets[g.id] = await registerGateway(cloud.store, {
          id: g.id,
          name: g.name ?? g.id,
          now: input.startMs,
        });
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
      return observe(c, input!.scenario, input!.startMs);
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

/** Locations, products, lots and EPC commissioning into the cloud store. */
async function seedMasterData(c: Cloud, s: Scenario, now: number, l: Logger): Promise<void> {
  for (const loc of s.locations) {
    await c.store.upsertLocation(
      {
        id: loc.id,
        name: loc.name ?? loc.id,
        kind: loc.kind,
        min_c: loc.limits.minC,
        max_c: loc.limits.maxC,
        alarm_delay_ms: loc.limits.alarmDelay,
        critical_margin_c: loc.limits.criticalMarginC,
        max_gap_ms: loc.limits.maxGap,
      },
      now,
    );
  }
  // Products, lots and commissioning go through the schema's tables (the domain store has no methods
  // for them yet); a missing table is logged, not fatal.
  const db = c.store.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  try {
    for (const p of s.products) {
      await db
        .insertInto('products')
        .values({
          gtin: p.gtin,
          name: p.name,
          min_c: p.minC,
          max_c: p.maxC,
          stability_budget_ms: p.stabilityBudget,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    for (const lot of s.lots) {
      await db
        .insertInto('lots')
        .values({
          id: lot.id,
          gtin: lot.gtin,
          lot_number: lot.lotNumber,
          expiry: lot.expiry,
          created_at: now,
          updated_at: now,
        })
        .execute();
      for (const epc of lotEpcs(lot))
        await db.insertInto('epcs').values({ epc, lot_id: lot.id, commissioned_at: now }).execute();
    }
  } catch (err) {
    l.warn({ err: errorMessage(err) }, 'master data (products, lots, EPCs) not stored');
  }
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
