import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';
import { type Cloud, startCloud } from '../../src/cloud.js';
import type { CloudConfigInput } from '../../src/config.js';
import { registerGateway } from '../../src/gateways/register-gateway.js';

export interface TestCloud extends Cloud {
  dir: string;
  /** Registers a gateway and returns its secret. */
  addGateway(id: string): Promise<string>;
  connect(id: string, secret: string, opts?: IClientOptions): Promise<MqttClient>;
  stop(): Promise<void>;
}

/** A real cloud on ephemeral ports with a SQLite file in a temp dir. */
export async function startTestCloud(
  overrides: CloudConfigInput = {},
  deps: { clock?: Clock; wallClock?: Clock; log?: Logger } = {},
): Promise<TestCloud> {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-cloud-'));
  const cloud = await startCloud(
    {
      database: `sqlite:${join(dir, 'cloud.db')}`,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
      evaluation: { debounceMs: 20 },
      // Fixture records carry fixed dates while the data clock is the system clock: event times are not
      // checked unless a test sets `ingest` (event-times.int.test.ts checks them on a manual clock).
      ingest: { maxFutureSkewMs: Number.MAX_SAFE_INTEGER, maxEventAgeMs: Number.MAX_SAFE_INTEGER },
      ...overrides,
    },
    { log: pino({ level: process.env.LOG_LEVEL ?? 'silent' }), ...deps },
  );
  return Object.assign(cloud, {
    dir,
    addGateway: (id: string) => registerGateway(cloud.store, { id, now: Date.now() }),
    connect: (id: string, secret: string, opts: IClientOptions = {}) =>
      mqtt.connectAsync(cloud.mqttUrl!, {
        clientId: id,
        username: id,
        password: secret,
        reconnectPeriod: 0,
        ...opts,
      }),
    async stop() {
      await cloud.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** One API request to `cloud` (no socket: Fastify inject): its status and its JSON body (null when empty). */
export async function injectJson(
  cloud: Pick<Cloud, 'app'>,
  method: string,
  url: string,
  payload?: unknown,
  headers: object = {},
) {
  const res = await cloud.app.inject({
    method: method as 'GET',
    url,
    payload: payload as object,
    headers: headers as Record<string, string>,
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

/**
 * Waits until the evaluation marks of `locationId` are cleared (flushing the engine meanwhile): every
 * reading committed there so far has been evaluated. What a test proves before asserting an absence.
 */
export async function evaluated(cloud: Cloud, locationId: string): Promise<void> {
  await until(async () => {
    await cloud.evaluator.flush();
    const left = await cloud.store.db
      .selectFrom('evaluation_marks')
      .select('id')
      .where('kind', '=', 'location')
      .where('subject', '=', locationId)
      .execute();
    return left.length === 0;
  }, `the readings at ${locationId} evaluated`);
}
