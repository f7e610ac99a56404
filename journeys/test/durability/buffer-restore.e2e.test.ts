import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EPOCH_SEQ_SPAN } from '@coldtrace/cloud';
import { until } from '@coldtrace/shared/testing';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLL, storedReadings } from './faults.js';
import { type Rig, startRig } from './rig.js';

/**
 * docs/durability.md "Sequence reuse": a real gateway's buffer.db is restored from a backup, so the gateway
 * keeps its epoch and numbers new readings with sequence numbers the cloud already stored for others. Every
 * reading of every run must be stored (none discarded as a "duplicate"), the reused ones in a fork of the
 * epoch, audited and counted.
 */
let rig: Rig;
const GW = 'gw-restore';
const FILES = ['', '-wal', '-shm'];

beforeAll(async () => {
  rig = await startRig({ gatewayId: GW, pollMs: 30 });
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

describe('gateway buffer.db restored from a backup', () => {
  it('stores the readings made under reused numbers in a fork, none lost', async () => {
    const configFile = join(rig.dir, `${GW}.config.json`);
    const fullConfig = readFileSync(configFile, 'utf8');
    const restart = () => {
      writeFileSync(configFile, fullConfig);
      rig.gw.start();
    };
    await until(() => storedReadings(rig) >= 60, 'readings of the first run', POLL);
    const backupAt = await rig.drain();
    // The operator's backup, taken while the gateway was stopped.
    const buf = rig.gw.bufferPath;
    for (const s of FILES) if (existsSync(`${buf}${s}`)) copyFileSync(`${buf}${s}`, `${buf}.bak${s}`);
    restart();
    await until(() => storedReadings(rig) >= backupAt.lastSeq.readings + 120, 'the second run', POLL);
    const beforeRestore = await rig.drain();
    // The restore: the buffer goes back to the backup (its epoch and its sequence counter).
    for (const s of FILES) {
      rmSync(`${buf}${s}`, { force: true });
      if (existsSync(`${buf}.bak${s}`)) copyFileSync(`${buf}.bak${s}`, `${buf}${s}`);
    }
    restart();
    const reusedExpected = beforeRestore.lastSeq.readings - backupAt.lastSeq.readings;
    await until(
      () => storedReadings(rig) >= beforeRestore.lastSeq.readings + reusedExpected + 40,
      'the third run, past the numbers it reused',
      POLL,
    );
    const after = await rig.drain();
    const reusedMetric = await rig.cloud.metric('coldtrace_sequence_reused_records_total', {
      stream: 'readings',
    });
    await rig.cloud.stop();

    // The restored buffer went on from the backup's counter, under the backup's epoch.
    expect(after.lastSeq.readings).toBeGreaterThan(beforeRestore.lastSeq.readings);
    const raw = new Database(rig.cloudDb, { readonly: true });
    try {
      const rows = raw
        .prepare('SELECT seq, sensor_id, ts FROM readings WHERE gateway_id = ? ORDER BY seq')
        .all(GW) as Array<{ seq: number; sensor_id: string; ts: number }>;
      // Every wire number of the epoch once, plus each reused number once more in the fork.
      const base = rows.filter((r) => r.seq < EPOCH_SEQ_SPAN).map((r) => r.seq);
      const fork = rows.filter((r) => r.seq >= EPOCH_SEQ_SPAN).map((r) => r.seq - EPOCH_SEQ_SPAN);
      expect(base).toEqual(Array.from({ length: after.lastSeq.readings }, (_, i) => i + 1));
      expect(fork).toEqual(
        Array.from({ length: reusedExpected }, (_, i) => backupAt.lastSeq.readings + 1 + i),
      );
      // No reading twice: every stored row is a distinct measurement (sensor, time).
      expect(new Set(rows.map((r) => `${r.sensor_id}/${r.ts}`)).size).toBe(rows.length);
      const audit = raw
        .prepare("SELECT after_json FROM audit_log WHERE action = 'gateway.sequence_reuse' AND entity_id = ?")
        .all(GW) as Array<{ after_json: string }>;
      expect(audit.map((a) => JSON.parse(a.after_json))).toContainEqual(
        expect.objectContaining({ stream: 'readings', epochIndex: 1 }),
      );
      expect(reusedMetric).toBe(reusedExpected);
    } finally {
      raw.close();
    }
  }, 180_000);
});
