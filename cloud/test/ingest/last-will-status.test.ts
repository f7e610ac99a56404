import { gatewayTopic, type ManualClock, manualClock } from '@coldtrace/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

// A gateway's Last Will is built when its session begins (edge/src/publisher/publisher.ts), so its time
// is older than the online status the gateway sends once connected: it must still take the gateway
// offline when the broker publishes it (external broker, RabbitMQ).

let cloud: TestCloud;
let data: ManualClock;

beforeAll(async () => {
  data = manualClock(T0);
  cloud = await startTestCloud({}, { clock: data });
  await cloud.addGateway('gw-w');
});
afterAll(async () => {
  await cloud?.stop();
});

const status = (state: 'online' | 'offline', ts: number, reason?: string) =>
  cloud.ingestor.handle({
    topic: gatewayTopic('gw-w', 'status'),
    payload: Buffer.from(JSON.stringify({ gatewayId: 'gw-w', state, ts, ...(reason ? { reason } : {}) })),
  });
const gateway = async () => {
  const g = await cloud.store.getGateway('gw-w');
  return { online: g?.online, statusAt: g?.status_at };
};

describe('gateway status and the Last Will', () => {
  it('a Last Will older than the online status takes the gateway offline, from its receipt', async () => {
    // Session begins at T0 (the will's time), online status at T0 + 1 s.
    data.set(T0 + 1000);
    await status('online', T0 + 1000, 'started');
    expect(await gateway()).toEqual({ online: 1, statusAt: T0 + 1000 });
    // The gateway vanishes a minute later; the broker publishes the will made at T0.
    data.set(T0 + 61_000);
    expect(await status('offline', T0, 'last_will')).toMatchObject({ kind: 'stored', inserted: 1 });
    expect(await gateway()).toEqual({ online: 0, statusAt: T0 + 61_000 });
  });

  it('the next session’s online status brings it back', async () => {
    data.set(T0 + 120_000);
    await status('online', T0 + 120_000, 'started');
    expect(await gateway()).toEqual({ online: 1, statusAt: T0 + 120_000 });
  });

  it('any other status older than the newest is still ignored (statuses arrive out of order)', async () => {
    data.set(T0 + 130_000);
    expect(await status('offline', T0 + 100_000, 'shutdown')).toMatchObject({ inserted: 0, duplicates: 1 });
    expect(await status('online', T0 + 110_000, 'periodic')).toMatchObject({ inserted: 0, duplicates: 1 });
    expect(await gateway()).toEqual({ online: 1, statusAt: T0 + 120_000 });
  });
});
