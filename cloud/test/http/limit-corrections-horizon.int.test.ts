import { join } from 'node:path';
import type { Reading } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadingArchive } from '../../src/store/reading-archives.js';
import { pruneReadingArchive } from '../../src/store/reading-prune.js';
import { createUser, login, type Session, type TestUser } from '../helpers/auth.js';
import { readingsBatch } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const MIN = 60_000;
const LIMITS = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 5, maxGapMs: 30 * MIN };
const FROM = Date.UTC(2026, 10, 22, 8);
/** Readings every 15 min in batches of 12 h: the last wholly in November ends at 30 November 19:45. */
const DELETED_UNTIL = Date.UTC(2026, 10, 30, 19, 45);
const HORIZON = DELETED_UNTIL + 15 * MIN + 1;

/**
 * docs/operations.md "Deleting archived readings": over HTTP, a correction effective before the location's
 * evaluation horizon is refused (409) with the horizon and the archives in the body; from the horizon on it
 * is accepted.
 */
describe('a limit correction at a location with deleted readings (HTTP)', () => {
  let cloud: TestCloud;
  let qa: TestUser;
  let session: Session;
  let archive: string;
  const call = async (url: string, payload: object) => {
    const res = await cloud.app.inject({ method: 'POST', url, payload, headers: session.headers as never });
    return { status: res.statusCode, body: JSON.parse(res.body) };
  };
  const correct = (effectiveFrom: number | null) =>
    call('/api/v1/locations/room-h/limits/corrections', {
      ...LIMITS,
      maxC: 6,
      effectiveFrom,
      reason: 'temperature mapping study TM-9',
      username: qa.username,
      password: qa.password,
    });

  beforeAll(async () => {
    cloud = await startTestCloud({ mqtt: { embedded: { enabled: false } } });
    const op = await createUser(cloud.store, { roles: ['operator'] });
    const operator = await login(cloud, op.username, op.password);
    qa = await createUser(cloud.store, { roles: ['qa'] });
    session = await login(cloud, qa.username, qa.password);
    const put = await cloud.app.inject({
      method: 'PUT',
      url: '/api/v1/locations/room-h',
      payload: { name: 'Room H', kind: 'room', ...LIMITS },
      headers: operator.headers as never,
    });
    expect(put.statusCode).toBeLessThan(300);
    const rs: Reading[] = [];
    for (let ts = FROM; ts < Date.UTC(2026, 11, 3); ts += 15 * MIN)
      rs.push({ seq: rs.length + 1, sensorId: 's-1', locationId: 'room-h', ts, tempC: 5, quality: 'ok' });
    for (let i = 0; i < rs.length; i += 48)
      await cloud.store.ingestReadings('gw-a', readingsBatch('gw-a', rs.slice(i, i + 48)), FROM);
    await until(async () => {
      await cloud.evaluator.engine.recoverMarks();
      await cloud.evaluator.flush();
      return (await cloud.store.db.selectFrom('evaluation_marks').select('id').execute()).length === 0;
    }, 'the readings evaluated');
    const a = await createReadingArchive(cloud.store.db, {
      period: '2026-11',
      dir: join(cloud.dir, 'archives'),
      actor: 'cli:qa',
      now: Date.now(),
    });
    archive = a.id;
    const pruned = await pruneReadingArchive(cloud.store.db, a, { actor: 'cli:qa', now: Date.now() });
    expect(pruned.batches).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it('refuses one effective before the horizon naming it and the archive, accepts one from it', async () => {
    for (const from of [null, Date.UTC(2026, 10, 28)]) {
      const refused = await correct(from);
      expect(refused).toMatchObject({
        status: 409,
        body: {
          error: 'history_deleted',
          horizon: HORIZON,
          deletedUntil: DELETED_UNTIL,
          archives: [archive],
        },
      });
      expect(refused.body.message).toContain(new Date(HORIZON).toISOString());
    }
    const accepted = await correct(HORIZON);
    expect(accepted.status).toBeLessThan(300);
  });
});
