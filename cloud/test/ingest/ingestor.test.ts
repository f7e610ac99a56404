import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayTopic, systemClock } from '@coldtrace/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { readings, readingsBatch } from '../helpers/records.js';

let dir: string;
let store: CloudStore;
let ingestor: Ingestor;
const touched: string[][] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldtrace-ingestor-'));
  store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'c.db')}`));
  await store.upsertGateway({ id: 'gw-1', now: 1 });
  touched.length = 0;
  ingestor = new Ingestor({
    store,
    clock: systemClock,
    log: pino({ level: 'silent' }),
    onReadings: (l) => touched.push([...l]),
  });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const msg = (topic: string, payload: unknown) => ({
  topic,
  payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
});

describe('Ingestor', () => {
  it('dead-letters an unknown gateway (external brokers let anyone publish that the ACL allows)', async () => {
    const out = await ingestor.handle(
      msg(gatewayTopic('gw-404', 'readings'), readingsBatch('gw-404', readings(1))),
    );
    expect(out).toEqual({
      kind: 'dead_letter',
      code: 'unknown_gateway',
      reason: 'gateway "gw-404" is not registered',
    });
    expect((await store.listDeadLetters())[0]).toMatchObject({
      code: 'unknown_gateway',
      gateway_id: 'gw-404',
    });
  });

  it.each([
    'coldtrace/v1/gw/gw-1/nonsense',
    'other/topic',
    'coldtrace/v1/gw/gw-1/cmd/reboot',
    'coldtrace/v2/gw/gw-1/readings',
  ])('dead-letters the foreign topic %s', async (topic) => {
    expect(await ingestor.handle(msg(topic, '{}'))).toMatchObject({
      kind: 'dead_letter',
      code: 'unknown_topic',
    });
  });

  it('stores a batch, reports the locations it touched, and counts duplicates', async () => {
    const batch = readingsBatch('gw-1', [
      ...readings(2),
      ...readings(1, { firstSeq: 3, locationId: 'room-2' }),
    ]);
    expect(await ingestor.handle(msg(gatewayTopic('gw-1', 'readings'), batch))).toMatchObject({
      kind: 'stored',
      inserted: 3,
      duplicates: 0,
    });
    expect(touched).toEqual([['room-1', 'room-2']]);
    expect(await ingestor.handle(msg(gatewayTopic('gw-1', 'readings'), batch))).toMatchObject({
      kind: 'stored',
      inserted: 0,
      duplicates: 3,
    });
    expect(touched).toHaveLength(1);
  });

  it('rejects (does not acknowledge) when the store fails, so the message is delivered again', async () => {
    await store.close();
    await expect(
      ingestor.handle(msg(gatewayTopic('gw-1', 'readings'), readingsBatch('gw-1', readings(1)))),
    ).rejects.toThrow();
    store = new CloudStore(await openDatabase(`sqlite:${join(dir, 'c.db')}`));
  });
});
