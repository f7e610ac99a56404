import { gatewayTopic, MAX_PAYLOAD_BYTES } from '@coldtrace/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/auth.js';
import { readings, readingsBatch } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * Dead-letter replay: a gateway that published through an external broker before it was registered had
 * its batches acknowledged by the broker and dead-lettered by the cloud (`unknown_gateway`); once it is
 * registered, an operator replays them and nothing is lost. The Ingestor is the pipeline the external
 * subscriber feeds (mosquitto-ingest.svc.test.ts runs that path through a real Mosquitto).
 */
let cloud: TestCloud;
let ops: Record<string, string>;

beforeAll(async () => {
  cloud = await startTestCloud();
  ops = await bearer(cloud, ['operator']);
});
afterAll(async () => {
  await cloud?.stop();
});

const newestDeadLetterId = async () => (await cloud.store.listDeadLetters(1, 0))[0]!.id;
const replay = (id: number, headers = ops) =>
  cloud.app.inject({ method: 'POST', url: `/api/v1/dead-letters/${id}/replay`, headers });
const deadLetter = async (id: number) =>
  (await cloud.app.inject({ method: 'GET', url: `/api/v1/dead-letters/${id}`, headers: ops })).json();

describe('dead-letter replay', () => {
  it("stores an unregistered gateway's batch once it is registered, marks and audits the replay", async () => {
    const batch = readingsBatch('gw-late', readings(100));
    const msg = { topic: gatewayTopic('gw-late', 'readings'), payload: Buffer.from(JSON.stringify(batch)) };
    expect(await cloud.ingestor.handle(msg)).toMatchObject({ kind: 'dead_letter', code: 'unknown_gateway' });
    const id = await newestDeadLetterId();

    // Still unregistered: refused with the reason, and the dead letter stays as it was.
    const early = await replay(id);
    expect(early.statusCode).toBe(409);
    expect(early.json().message).toMatch(/still rejected: unknown_gateway/);
    expect((await deadLetter(id)).replayedAt).toBeNull();
    expect(await cloud.store.listDeadLetters(1000, 0)).toHaveLength(1); // no second dead letter

    await cloud.addGateway('gw-late');
    const res = await replay(id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ stream: 'readings', inserted: 100, duplicates: 0 });
    expect(await cloud.store.listReadings({ gatewayId: 'gw-late' })).toHaveLength(100);
    expect(await deadLetter(id)).toMatchObject({
      code: 'unknown_gateway',
      replayedAt: expect.any(Number),
      replayedBy: expect.any(String),
      replayResult: { stream: 'readings', inserted: 100, duplicates: 0 },
    });
    const audit = (
      await cloud.app.inject({
        method: 'GET',
        url: `/api/v1/audit?entityType=dead_letter&entityId=${id}`,
        headers: await bearer(cloud, ['qa']),
      })
    ).json() as Array<{ action: string; after: unknown; before: unknown }>;
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'dead_letter.replayed',
        before: expect.objectContaining({ code: 'unknown_gateway', gatewayId: 'gw-late' }),
        after: { stream: 'readings', inserted: 100, duplicates: 0 },
      }),
    ]);
    const again = await replay(id);
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toMatch(/was replayed at/);
  });

  it('refuses a viewer, a message that is still invalid, and a payload not kept whole', async () => {
    await cloud.addGateway('gw-bad');
    const bad = readingsBatch('gw-bad', readings(3)).records.map((r, i) =>
      i === 1 ? { ...r, tempC: 1e9 } : r,
    );
    await cloud.ingestor.handle({
      topic: gatewayTopic('gw-bad', 'readings'),
      payload: Buffer.from(JSON.stringify(readingsBatch('gw-bad', bad))),
    });
    const invalid = await newestDeadLetterId();
    expect((await replay(invalid, await bearer(cloud, ['viewer']))).statusCode).toBe(403);
    const still = await replay(invalid);
    expect(still.statusCode).toBe(409);
    expect(still.json().message).toMatch(/still rejected: schema_violation: .*records\.1\.tempC/);
    expect(await cloud.store.listReadings({ gatewayId: 'gw-bad' })).toHaveLength(0);

    await cloud.ingestor.handle({
      topic: gatewayTopic('gw-bad', 'readings'),
      payload: Buffer.alloc(MAX_PAYLOAD_BYTES + 10, 0x20),
    });
    const tooLarge = await newestDeadLetterId();
    const cut = await replay(tooLarge);
    expect(cut.statusCode).toBe(409);
    expect(cut.json().message).toMatch(/bytes were received and \d+ kept/);
    expect((await replay(987_654_321)).statusCode).toBe(404);
  });
});
