import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

let cloud: TestCloud;
let auth: { authorization: string };
beforeAll(async () => {
  cloud = await startTestCloud();
  auth = await bearer(cloud, ['operator']);
  for (const id of ['room-a', 'room-b', 'room-c']) {
    const res = await cloud.app.inject({
      headers: auth,
      method: 'PUT',
      url: `/api/v1/locations/${id}`,
      payload: { name: id, kind: 'room', minC: 2, maxC: 8, alarmDelayMs: 0, criticalMarginC: 0, maxGapMs: 1 },
    });
    expect(res.statusCode).toBe(200);
  }
});
afterAll(async () => cloud?.stop());

const audit = async (query: string) => {
  const res = await cloud.app.inject({ headers: auth, url: `/api/v1/audit?${query}` });
  expect(res.statusCode).toBe(200);
  return (res.json() as Array<{ seq: number; entityType: string; entityId: string }>).map((a) => [
    a.seq,
    a.entityType,
    a.entityId,
  ]);
};

describe('GET /api/v1/audit', () => {
  it('pages oldest first with afterSeq and newest first with beforeSeq, filtered by entity', async () => {
    const all = await audit('entityType=location');
    expect(all.map(([, , id]) => id)).toEqual(['room-a', 'room-b', 'room-c']);
    const [a, b, c] = all.map(([seq]) => seq as number);
    expect(a! < b! && b! < c!).toBe(true);

    expect(await audit('entityType=location&limit=2')).toEqual(all.slice(0, 2));
    expect(await audit(`entityType=location&afterSeq=${b}`)).toEqual(all.slice(2));
    expect(await audit('entityType=location&order=desc&limit=2')).toEqual([all[2], all[1]]);
    expect(await audit(`entityType=location&order=desc&beforeSeq=${c}`)).toEqual([all[1], all[0]]);
    expect(await audit('entityType=location&entityId=room-b')).toEqual([all[1]]);
    expect(await audit('entityType=lot')).toEqual([]);
  });
});
