import {
  DIGEST_GENESIS,
  decodeSpans,
  digestChainHash,
  inSpans,
  type ReadingDigestRow,
  type ReadingRow,
  readingsDigest,
} from './reading-digests.js';

/** What is wrong with a batch of readings or with the digests themselves. */
export type ReadingDigestProblem =
  | 'batch_missing'
  | 'deleted_batch_stored'
  | 'deletion_mismatch'
  | 'deletion_unaudited'
  | 'digest_changed'
  | 'reading_deleted'
  | 'reading_edited'
  | 'readings_undigested';

export interface ReadingDigestFinding {
  gateway: string;
  stream: 'readings';
  /** The batch named (its index in the gateway's chain and stored-seq range); 0 for undigested rows. */
  batchIndex: number;
  fromSeq: number;
  toSeq: number;
  problem: ReadingDigestProblem;
  detail: string;
}

export interface ReadingDigestReport {
  ok: boolean;
  gateways: number;
  batches: number;
  readings: number;
  /**
   * Per archive, batches whose readings `archive prune` deleted (recorded and audited, all gone): not
   * recomputed here, the archive proves them (`coldtrace archive verify`).
   */
  deleted: Record<string, number>;
  /** The first findings (at most `MAX_FINDINGS`); `ok` is false when there is any. */
  findings: ReadingDigestFinding[];
}

export const MAX_FINDINGS = 100;

/** A batch's deletion record (0036) as the store read it, with what the store checked about it. */
export interface BatchDeletion {
  from_seq: number;
  to_seq: number;
  count: number;
  archive_id: string;
  /** A `readings.deleted` audit entry of that archive names this batch. */
  audited: boolean;
}

/**
 * Checks one gateway's digest chain as it is read (batch by batch, ascending index): consecutive indexes
 * from 1, each link recomputed from the previous one, and each batch's digest recomputed from the readings
 * stored in its spans. Rows may be passed as the store reads them (a superset: every reading of the
 * gateway between the batch's first and last seq); those outside the batch's spans are left out here.
 */
export class GatewayDigestCheck {
  private prevChain = DIGEST_GENESIS;
  private expected = 1;
  batches = 0;
  readings = 0;
  /** Per archive, batches recorded as deleted and wholly gone. */
  readonly deleted: Record<string, number> = {};
  readonly findings: ReadingDigestFinding[] = [];

  constructor(readonly gateway: string) {}

  /**
   * The next digest row and the stored readings between its `from_seq` and `to_seq`, ascending, and its
   * deletion record if `archive prune` recorded one: a recorded batch must be wholly gone, its record must
   * match the digest row and be on the audit trail; it is then counted, not recomputed.
   */
  batch(row: ReadingDigestRow, rowsInRange: readonly ReadingRow[], deletion?: BatchDeletion): void {
    const index = Number(row.batch_index);
    const at = { fromSeq: Number(row.from_seq), toSeq: Number(row.to_seq), batchIndex: index };
    if (index !== this.expected) {
      this.find(
        at,
        'batch_missing',
        index > this.expected
          ? `digest batches ${this.expected}..${index - 1} are missing (deleted with their readings?)`
          : `digest batch ${index} appears after batch ${this.expected - 1}`,
      );
    } else if (digestChainHash(this.prevChain, row) !== row.chain) {
      this.find(at, 'digest_changed', `the digest row of batch ${index} does not match its chain link`);
    }
    this.prevChain = row.chain;
    this.expected = index + 1;
    this.batches++;
    const spans = decodeSpans(row.seqs);
    const mine = rowsInRange.filter((r) => inSpans(spans, Number(r.seq)));
    this.readings += mine.length;
    if (deletion) {
      this.deletedBatch(row, at, mine.length, deletion);
      return;
    }
    const count = Number(row.count);
    if (mine.length < count) {
      const have = new Set(mine.map((r) => Number(r.seq)));
      const gone = firstMissing(spans, have);
      this.find(
        at,
        'reading_deleted',
        `${count - mine.length} of the batch's ${count} readings are gone (first: seq ${gone})`,
      );
    } else if (readingsDigest(this.gateway, mine) !== row.digest) {
      this.find(at, 'reading_edited', `a reading of the batch was changed (its digest differs)`);
    }
  }

  private deletedBatch(
    row: ReadingDigestRow,
    at: { fromSeq: number; toSeq: number; batchIndex: number },
    stored: number,
    d: BatchDeletion,
  ): void {
    const by = `archive ${d.archive_id}`;
    if (
      Number(d.from_seq) !== Number(row.from_seq) ||
      Number(d.to_seq) !== Number(row.to_seq) ||
      Number(d.count) !== Number(row.count)
    )
      this.find(at, 'deletion_mismatch', `the deletion record (${by}) does not match the batch's digest row`);
    else if (!d.audited)
      this.find(
        at,
        'deletion_unaudited',
        `recorded as deleted (${by}) without a readings.deleted audit entry`,
      );
    else if (stored > 0)
      this.find(
        at,
        'deleted_batch_stored',
        `recorded as deleted (${by}) but ${stored} of its ${Number(row.count)} readings are stored (a restore that did not finish? run it again)`,
      );
    else this.deleted[d.archive_id] = (this.deleted[d.archive_id] ?? 0) + 1;
  }

  /** A deletion record naming a batch the gateway's digest chain does not have. */
  orphanDeletion(index: number, d: BatchDeletion): void {
    this.find(
      { fromSeq: Number(d.from_seq), toSeq: Number(d.to_seq), batchIndex: index },
      'deletion_mismatch',
      `a deletion record (archive ${d.archive_id}) names batch ${index}, which has no digest row`,
    );
  }

  /** After the last batch: readings of the gateway that no batch covers (inserted directly). */
  finish(storedReadings: number): void {
    if (storedReadings > this.readings) {
      this.find(
        { fromSeq: 0, toSeq: 0, batchIndex: 0 },
        'readings_undigested',
        `${storedReadings - this.readings} readings of gateway ${this.gateway} are in no digested batch (written around ingest)`,
      );
    }
  }

  private find(
    at: { fromSeq: number; toSeq: number; batchIndex: number },
    problem: ReadingDigestProblem,
    detail: string,
  ): void {
    this.findings.push({ gateway: this.gateway, stream: 'readings', ...at, problem, detail });
  }
}

function firstMissing(spans: ReadonlyArray<[number, number]>, have: ReadonlySet<number>): number {
  for (const [from, to] of spans) for (let s = from; s <= to; s++) if (!have.has(s)) return s;
  return spans[0]?.[0] ?? 0;
}

/** One line per finding, naming the batch: `gateway gw-1 readings seq 1-500 (batch 1): …`. */
export function describeFinding(f: ReadingDigestFinding): string {
  const where =
    f.batchIndex === 0
      ? `gateway ${f.gateway} ${f.stream}`
      : `gateway ${f.gateway} ${f.stream} seq ${f.fromSeq}-${f.toSeq} (batch ${f.batchIndex})`;
  return `${where}: ${f.problem}: ${f.detail}`;
}
