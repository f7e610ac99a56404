import { join } from 'node:path';
import { type Cloud, listExcursions, startCloud, UserStore } from '@coldtrace/cloud';
import { type Clock, systemClock } from '@coldtrace/shared';
import pino from 'pino';
import { type Observed, observe } from '../observe.js';
import type { Scenario } from '../scenario-schema.js';
import { apiClient, seedMasterData } from './seed-master-data.js';

export interface CloudStartInput {
  scenario: Scenario;
  dataDir: string;
  httpPort: number;
  mqttPort: number;
  /** The scenario's time-scale: the evaluation debounce is ~0.25 s of real time at this scale. */
  scale: number;
  startMs: number;
  tickMs: number;
}

export interface CloudCounts {
  counts: Observed['counts'];
  excursions: Array<{
    id: string;
    location_id: string;
    start_ts: number;
    end_ts: number | null;
    peak_c: number;
    critical: number;
  }>;
}

/** The scenario's cloud, wherever it runs (this process or `cloud-child.ts`). */
export interface ScenarioCloud {
  readonly cloud: Cloud;
  readonly httpUrl: string;
  readonly mqttUrl: string;
  /** MQTT secret of each scenario gateway, issued by the cloud. */
  readonly secrets: Record<string, string>;
  counts(): Promise<CloudCounts>;
  gatewayStatus(id: string): Promise<{ status_json: string | null; online: number } | null>;
  /** Computes the derived state of everything received and reads the conclusions. */
  observe(): Promise<Observed>;
  close(): Promise<void>;
}

/**
 * The scenario's cloud on the scenario clock: embedded aedes + SQLite in the data directory, the
 * runner's own admin token, and the scenario's master data entered through the cloud's API. `clock` is
 * the data clock only: sessions, e-signatures, people's actions and report times stay on the system
 * clock, whatever the scenario's scale (docs/architecture.md "Time").
 */
export async function startScenarioCloud(input: CloudStartInput, clock: Clock): Promise<ScenarioCloud> {
  const s = input.scenario;
  const log = pino(
    { level: 'info' },
    pino.destination({ dest: join(input.dataDir, 'cloud.log'), mkdir: true, sync: false }),
  );
  const cloud = await startCloud(
    {
      database: `sqlite:${join(input.dataDir, 'cloud.db')}`,
      http: { host: '127.0.0.1', port: input.httpPort },
      mqtt: { embedded: { host: '127.0.0.1', port: input.mqttPort } },
      // Recompute at most every ~0.25 s of real time; the final state is flushed explicitly.
      evaluation: { debounceMs: Math.round(250 * input.scale) },
      // No webhooks here: the outbox's poll for retries (1 s by default) would be most of the work.
      integrations: { webhooks: [], outboxPollMs: 3_600_000 },
      logLevel: 'warn',
    },
    { clock, wallClock: systemClock, log },
  );
  try {
    const { token } = await new UserStore(cloud.store.db).createToken(
      { name: 'scenario-runner', roles: ['admin'], userId: null },
      Date.now(),
    );
    const api = apiClient(cloud.httpUrl, token);
    const secrets = await seedMasterData(api, s);
    return {
      cloud,
      httpUrl: cloud.httpUrl,
      mqttUrl: cloud.mqttUrl!,
      secrets,
      counts: async () => ({
        counts: await cloud.store.counts(),
        excursions: await listExcursions(cloud.store.db),
      }),
      gatewayStatus: async (gatewayId) =>
        (await cloud.store.db
          .selectFrom('gateways')
          .select(['status_json', 'online'])
          .where('id', '=', gatewayId)
          .executeTakeFirst()) ?? null,
      async observe() {
        // Derived state of everything that arrived: custody of every EPC moved, every location's excursions.
        const epcs = new Set((await cloud.store.listMovements({ limit: 1_000_000 })).map((m) => m.epc));
        cloud.evaluator.engine.markEpcs(epcs);
        cloud.evaluator.markDirty(s.locations.map((l) => l.id));
        await cloud.evaluator.flush();
        return observe(cloud, s, input.startMs, api);
      },
      async close() {
        await cloud.close();
        log.flush();
      },
    };
  } catch (err) {
    await cloud.close();
    throw err;
  }
}
