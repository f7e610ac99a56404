import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mosquitto } from '../helpers/mosquitto.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

// Needs `mosquitto` and `mosquitto_passwd` (Debian package mosquitto): our own on an ephemeral port.

const INGESTOR = { username: 'coldtrace-ingestor', password: 'ingestor-secret-0123456789' };

describe('/readyz with an external broker', { timeout: 40_000 }, () => {
  let broker: Mosquitto;
  let cloud: TestCloud;

  beforeAll(async () => {
    broker = await Mosquitto.create({ [INGESTOR.username]: INGESTOR.password });
    cloud = await startTestCloud({
      mqtt: {
        embedded: { enabled: false },
        external: { url: broker.url, ...INGESTOR, clientId: 'coldtrace-ingestor-ready' },
      },
    });
  });
  afterAll(async () => {
    await cloud?.stop();
    await broker?.destroy();
  });

  const readyz = async () => {
    const r = await cloud.app.inject({ method: 'GET', url: '/readyz' });
    return { code: r.statusCode, body: r.json() };
  };

  it('is not ready while the external broker is unreachable, and ready again once it is back', async () => {
    expect(await readyz()).toEqual({
      code: 200,
      body: {
        status: 'ready',
        checks: {
          commits: { ok: true },
          ingest: { ok: true },
          external_broker: { ok: true },
          store: { ok: true },
        },
      },
    });
    await broker.stop();
    const down = await until(async () => {
      const r = await readyz();
      return r.code === 503 && r.body;
    }, 'not ready without the broker');
    expect(down.checks.external_broker).toEqual({
      ok: false,
      detail: `not connected to the external broker 127.0.0.1:${broker.port}; reconnecting`,
    });
    // Liveness holds: the subscriber reconnects by itself.
    expect((await cloud.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    await broker.start();
    await until(async () => (await readyz()).code === 200, 'ready once the broker is back');
  });
});
