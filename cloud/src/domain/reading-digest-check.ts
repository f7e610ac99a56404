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
  /** The first findings (at most `MAX_FINDINGS`); `ok` is false when there is any. */
  findings: ReadingDigestFinding[];
}

export const MAX_FINDINGS = 100;

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
  readonly findings: ReadingDigestFinding[] = [];

  constructor(readonly gateway: string) {}

  /** The next digest row and the stored readings between its `from_seq` and `to_seq`, ascending. */
  batch(row: ReadingDigestRow, rowsInRange: readonly ReadingRow[]): void {
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
