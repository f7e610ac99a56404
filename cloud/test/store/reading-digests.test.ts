import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EPOCH_SEQ_SPAN } from '../../src/domain/ingest/epochs.js';
import { describeFinding } from '../../src/domain/reading-digest-check.js';
import { CloudStore } from '../../src/store/cloud-store.js';
import { openDatabase } from '../../src/store/db.js';
import { verifyReadingDigests } from '../../src/store/reading-digest-reads.js';
import { ingestDigestScenario } from './reading-digests-suite.js';

// docs/architecture.md "Audit trail", reading digests: each stored batch's digest is written with its
// readings through the one ingest plan, and `verifyReadingDigests` names the batch a reading was deleted
// from or edited in.

describe('reading digests on SQLite', () => {
  let dir: string;
  const stores: CloudStore[] = [];
  const open = async (name: string, ingest: 'sqlite' | 'kysely' = 'sqlite') => {
    const s = new CloudStore(await openDatabase(`sqlite:${join(dir, name)}`), { ingest });
    stores.push(s);
    return s;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coldtrace-digests-'));
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('both ingest backends record identical digests, one per batch that stored readings', async () => {
    const fast = await ingestDigestScenario(await open('fast.db', 'sqlite'));
    const kysely = await ingestDigestScenario(await open('kysely.db', 'kysely'));
    expect(fast).toEqual(kysely);
    // 6 batches stored readings (the replay stored none): 5 of gw-a, 1 of gw-b.
    expect(fast.map((r) => [r.gateway_id, r.batch_index, r.seqs])).toEqual([
      ['gw-a', 1, '1-10'],
      ['gw-a', 2, '11-12'],
      ['gw-a', 3, '13-15'],
      ['gw-a', 4, `16,${EPOCH_SEQ_SPAN + 5}-${EPOCH_SEQ_SPAN + 15}`],
      ['gw-a', 5, `${2 * EPOCH_SEQ_SPAN + 1}-${2 * EPOCH_SEQ_SPAN + 3}`],
      ['gw-b', 1, '100-103'],
    ]);
  });

  it('verifies an untampered store, then names the batch of a deleted or an edited reading', async () => {
    const s = await open('cloud.db');
    await ingestDigestScenario(s);
    const intact = await verifyReadingDigests(s.db);
    expect(intact).toMatchObject({ ok: true, gateways: 2, batches: 6, findings: [] });
    expect(intact.readings).toBe(
      Number(
        (
          await s.db
            .selectFrom('readings')
            .select((e) => e.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    );

    await s.db.deleteFrom('readings').where('gateway_id', '=', 'gw-a').where('seq', '=', 7).execute();
    await s.db
      .updateTable('readings')
      .set({ temp_c: 4.9 })
      .where('gateway_id', '=', 'gw-a')
      .where('seq', '=', EPOCH_SEQ_SPAN + 6)
      .execute();
    await s.db.updateTable('readings').set({ quality: 'ok' }).where('seq', '=', 15).execute();
    const r = await verifyReadingDigests(s.db);
    expect(r.ok).toBe(false);
    expect(r.findings.map(describeFinding)).toEqual([
      "gateway gw-a readings seq 1-10 (batch 1): reading_deleted: 1 of the batch's 10 readings are gone (first: seq 7)",
      'gateway gw-a readings seq 13-15 (batch 3): reading_edited: a reading of the batch was changed (its digest differs)',
      `gateway gw-a readings seq 16-${EPOCH_SEQ_SPAN + 15} (batch 4): reading_edited: a reading of the batch was changed (its digest differs)`,
    ]);
  });

  it('reports a batch deleted with its digest row, an edited digest row, and readings written around ingest', async () => {
    const s = await open('cloud.db');
    await ingestDigestScenario(s);
    expect((await verifyReadingDigests(s.db)).ok).toBe(true);
    // A whole batch gone: its readings and its digest row.
    await s.db
      .deleteFrom('readings')
      .where('gateway_id', '=', 'gw-a')
      .where('seq', '>=', 11)
      .where('seq', '<=', 12)
      .execute();
    await s.db
      .deleteFrom('reading_digests')
      .where('gateway_id', '=', 'gw-a')
      .where('batch_index', '=', 2)
      .execute();
    // A digest row made to match an edit.
    await s.db
      .updateTable('reading_digests')
      .set({ created_at: 1 })
      .where('gateway_id', '=', 'gw-b')
      .execute();
    // A reading inserted directly.
    await sql`INSERT INTO readings (gateway_id, seq, sensor_id, location_id, ts, temp_c, rh, quality, received_at)
      VALUES ('gw-b', 500, 's9', 'room-2', 1, 5, NULL, 'ok', 1)`.execute(s.db);
    const r = await verifyReadingDigests(s.db);
    expect(r.findings.map((f) => [f.gateway, f.batchIndex, f.problem])).toEqual([
      ['gw-a', 3, 'batch_missing'],
      ['gw-b', 1, 'digest_changed'],
      ['gw-b', 0, 'readings_undigested'],
    ]);
    expect(describeFinding(r.findings[0]!)).toContain('digest batches 2..2 are missing');
  });
});
