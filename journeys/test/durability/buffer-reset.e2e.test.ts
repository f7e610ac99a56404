import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudStore, EPOCH_SEQ_SPAN, openDatabase } from '@coldtrace/cloud';
import { until } from '@coldtrace/shared/testing';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BufferSeqs } from './exactly-once.js';
import { POLL, storedReadings } from './faults.js';
import { type Rig, startRig } from './rig.js';

/**
 * docs/durability.md "Epoch": a real gateway's buffer.db is deleted between two runs, so its sequences
 * restart at 1 under a new epoch. Every reading of both runs must reach the cloud (none discarded as a
 * duplicate of the first run), each run in its own sequence space without holes, and the reset must be
 * on the audit trail and counted.
 */
let rig: Rig;
const GW = 'gw-reset';

beforeAll(async () => {
  rig = await startRig({ gatewayId: GW, pollMs: 30 });
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

const epochOf = (bufferPath: string) => {
  const db = new Database(bufferPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT value FROM meta WHERE key = 'epoch'").get() as { value: string }).value;
  } finally {
    db.close();
  }
};

describe('gateway buffer.db lost between two runs', () => {
  it('stores both runs completely, each in its own sequence space, with the reset audited', async () => {
    await until(() => storedReadings(rig) >= 150, 'readings of the first run in the cloud', POLL);
    // The drain runs the gateway with a module-less config written to the same file: keep the full one.
    const configFile = join(rig.dir, `${GW}.config.json`);
    const fullConfig = readFileSync(configFile, 'utf8');
    const first: BufferSeqs = await rig.drain();
    const epochA = epochOf(rig.gw.bufferPath);
    // The buffer is lost (disk replaced, file deleted): the gateway starts a new one.
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${rig.gw.bufferPath}${suffix}`, { force: true });
    writeFileSync(configFile, fullConfig);
    rig.gw.start();
    await until(
      () => storedReadings(rig) >= first.lastSeq.readings + 150,
      'readings of the second run in the cloud',
      POLL,
    );
    const second = await rig.drain();
    const epochB = epochOf(rig.gw.bufferPath);
    const resets = await rig.cloud.metric('coldtrace_sequence_resets_total', { stream: 'readings' });
    await rig.cloud.stop();

    expect(epochB).not.toBe(epochA);
    expect(second.records).toBe(0);
    // The second run restarted at 1 and overlapped the first run's numbers: the case that was lost.
    expect(second.lastSeq.readings).toBeGreaterThan(150);
    const raw = new Database(rig.cloudDb, { readonly: true });
    const store = new CloudStore(await openDatabase(`sqlite:${rig.cloudDb}`));
    try {
      const seqs = (raw.prepare('SELECT seq FROM readings WHERE gateway_id = ?').all(GW) as { seq: number }[])
        .map((r) => r.seq)
        .sort((a, b) => a - b);
      const expected = [
        ...Array.from({ length: first.lastSeq.readings }, (_, i) => i + 1),
        ...Array.from({ length: second.lastSeq.readings }, (_, i) => EPOCH_SEQ_SPAN + i + 1),
      ];
      expect(seqs.length).toBe(expected.length);
      expect(seqs).toEqual(expected);
      const cov = (await store.coverage(GW)).filter((c) => c.stream === 'readings');
      expect(cov.map((c) => [c.epoch, c.epochIndex, c.highWater, c.holes])).toEqual([
        [epochB, 1, second.lastSeq.readings, []],
        [epochA, 0, first.lastSeq.readings, []],
      ]);
      expect(cov[0]!.sequenceReset).toMatchObject({
        fromEpoch: epochA,
        toEpoch: epochB,
        previousHighWater: expect.any(Number),
      });
      const audit = raw
        .prepare(
          "SELECT before_json, after_json FROM audit_log WHERE action = 'gateway.sequence_reset' AND entity_id = ?",
        )
        .all(GW) as { before_json: string; after_json: string }[];
      const streams = audit.map((a) => JSON.parse(a.after_json).stream);
      expect(streams).toContain('readings');
      const readingsReset = audit[streams.indexOf('readings')]!;
      expect(JSON.parse(readingsReset.before_json)).toMatchObject({ epoch: epochA, epochIndex: 0 });
      expect(JSON.parse(readingsReset.after_json)).toMatchObject({ epoch: epochB, epochIndex: 1 });
      expect(resets).toBe(1);
    } finally {
      raw.close();
      await store.close();
    }
  }, 180_000);
});
