import { afterEach, describe, expect, it } from 'vitest';
import { DEEP_CHECKS, deepFindingLine, deepVerify } from '../../src/domain/deep-verify.js';
import { readingDigestCheck } from '../../src/domain/deep-verify-readings.js';
import { readDeepVerifyData } from '../../src/store/deep-verify-reads.js';
import { openFixture } from '../audit-checkpoints/checkpoint-fixture.js';

// `audit verify --deep` includes the readings against their digests (docs/architecture.md "Audit trail").

describe('the readings check of audit verify --deep', () => {
  let f: Awaited<ReturnType<typeof openFixture>> | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it('is in the deep check list and names the batch of a deleted reading and of an edited digest row', async () => {
    expect(DEEP_CHECKS).toContain(readingDigestCheck);
    f = await openFixture();
    await f.ingest('gw-a', 1, 30);
    await f.ingest('gw-a', 31, 10);
    const readingsFindings = async () =>
      deepVerify(await readDeepVerifyData(f!.store.db), [readingDigestCheck]).findings.map(deepFindingLine);
    expect(await readingsFindings()).toEqual([]);
    await f.store.db.deleteFrom('readings').where('seq', '=', 12).execute();
    await f.store.db
      .updateTable('reading_digests')
      .set({ created_at: 7 })
      .where('batch_index', '=', 2)
      .execute();
    expect(await readingsFindings()).toEqual([
      "readings: readings row gw-a|1-30: gateway gw-a readings seq 1-30 (batch 1): reading_deleted: 1 of the batch's 30 readings are gone (first: seq 12)",
      'readings: reading_digests row gw-a|31-40: gateway gw-a readings seq 31-40 (batch 2): digest_changed: the digest row of batch 2 does not match its chain link',
    ]);
  });
});
