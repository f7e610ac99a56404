/**
 * "Every record reaches the cloud exactly once" (docs/durability.md "Fault tests"), read from the
 * databases the processes left behind: the gateway's buffer (its last assigned sequence per stream,
 * gateway stopped: the buffer holds an exclusive lock while it runs) and the cloud store (sequence
 * numbers stored, thinned ranges, coverage).
 */
import { CloudStore, openDatabase } from '@coldtrace/cloud';
import type { Stream } from '@coldtrace/shared';
import Database from 'better-sqlite3';

export const STREAMS: readonly Stream[] = ['readings', 'movements', 'alarms'];

export interface BufferSeqs {
  lastSeq: Record<Stream, number>;
  /** Records still buffered (0 after a full drain). */
  records: number;
}

/** Last assigned sequence per stream from `<dataDir>/buffer.db` (see edge/src/buffer/sqlite-schema.ts). */
export function readBufferSeqs(bufferPath: string): BufferSeqs {
  const db = new Database(bufferPath, { readonly: true, fileMustExist: true });
  try {
    const ids: Record<number, Stream> = { 1: 'readings', 2: 'movements', 3: 'alarms' };
    const lastSeq = { readings: 0, movements: 0, alarms: 0 };
    for (const r of db.prepare('SELECT stream, last_seq FROM seqs').all() as {
      stream: number;
      last_seq: number;
    }[]) {
      const s = ids[r.stream];
      if (s) lastSeq[s] = r.last_seq;
    }
    const records = (db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n;
    return { lastSeq, records };
  } finally {
    db.close();
  }
}

/** Rows per stream of one gateway in the cloud store (read-only, while the cloud runs). */
export function cloudCounts(cloudDbPath: string, gatewayId: string): Record<Stream, number> {
  const db = new Database(cloudDbPath, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    const n = (t: Stream) =>
      (db.prepare(`SELECT count(*) AS n FROM ${t} WHERE gateway_id = ?`).get(gatewayId) as { n: number }).n;
    return { readings: n('readings'), movements: n('movements'), alarms: n('alarms') };
  } finally {
    db.close();
  }
}

/** The highest stored sequence per stream of one gateway in the cloud store (0 when none; read-only). */
export function cloudMaxSeqs(cloudDbPath: string, gatewayId: string): Record<Stream, number> {
  const db = new Database(cloudDbPath, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    const max = (t: Stream) =>
      (
        db.prepare(`SELECT coalesce(max(seq), 0) AS m FROM ${t} WHERE gateway_id = ?`).get(gatewayId) as {
          m: number;
        }
      ).m;
    return { readings: max('readings'), movements: max('movements'), alarms: max('alarms') };
  } finally {
    db.close();
  }
}

/** The EPCs of the gateway's movements in the cloud store (a crossing may yield a pass and a presence). */
export function cloudEpcs(cloudDbPath: string, gatewayId: string): Set<string> {
  const db = new Database(cloudDbPath, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    const rows = db.prepare('SELECT DISTINCT epc FROM movements WHERE gateway_id = ?').all(gatewayId) as {
      epc: string;
    }[];
    return new Set(rows.map((r) => r.epc));
  } finally {
    db.close();
  }
}

/**
 * Whether the cloud store (read-only, while the cloud runs) holds every sequence 1..lastSeq of each
 * stream, stored or inside a thinned range: what a test waits for before stopping an ingestor that
 * is still consuming its broker queue.
 */
export function cloudCovers(
  cloudDbPath: string,
  gatewayId: string,
  lastSeq: Record<Stream, number>,
): boolean {
  const db = new Database(cloudDbPath, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    return STREAMS.every((stream) => {
      const last = lastSeq[stream];
      const have = new Set(
        (
          db
            .prepare(`SELECT seq FROM ${stream} WHERE gateway_id = ? AND seq BETWEEN 1 AND ?`)
            .all(gatewayId, last) as { seq: number }[]
        ).map((r) => r.seq),
      );
      const ranges = db
        .prepare(
          'SELECT from_seq AS "from", to_seq AS "to" FROM thinned_ranges WHERE gateway_id = ? AND stream = ?',
        )
        .all(gatewayId, stream) as { from: number; to: number }[];
      for (const r of ranges) for (let s = Math.max(1, r.from); s <= Math.min(last, r.to); s++) have.add(s);
      return have.size === last;
    });
  } finally {
    db.close();
  }
}

export interface StreamReport {
  stream: Stream;
  lastSeq: number;
  stored: number;
  thinned: number;
  /** Sequence numbers in 1..lastSeq neither stored nor inside a declared thinned range. */
  missing: number[];
  /** Stored sequence numbers outside 1..lastSeq. */
  unexpected: number[];
  /** Distinct seqs stored or declared thinned. */
  covered: number;
  /** Stored rows whose arrival order (rowid; readings: arrival time) is not their sequence order. */
  outOfOrder: number;
  holes: { from: number; to: number }[];
  highWater: number;
}

/**
 * For each stream: every seq in 1..lastSeq is stored exactly once (the primary key makes "more than
 * once" impossible, so this checks presence) or lies in a thinned range, nothing else is stored, rows
 * arrived in sequence order, and `coverage()` shows no hole. Run with the cloud stopped (migrations
 * run on open).
 */
export async function verifyExactlyOnce(
  cloudDbPath: string,
  gatewayId: string,
  lastSeq: Record<Stream, number>,
): Promise<Record<Stream, StreamReport>> {
  const store = new CloudStore(await openDatabase(`sqlite:${cloudDbPath}`));
  const raw = new Database(cloudDbPath, { readonly: true });
  try {
    const coverage = await store.coverage(gatewayId);
    const out = {} as Record<Stream, StreamReport>;
    for (const stream of STREAMS) {
      const last = lastSeq[stream];
      // Readings are compact rows with no insertion order (migration 0043): their arrival time orders them,
      // a batch's readings sharing it.
      const order = stream === 'readings' ? 'received_at, seq' : 'rowid';
      const seqs = (
        raw.prepare(`SELECT seq FROM ${stream} WHERE gateway_id = ? ORDER BY ${order}`).all(gatewayId) as {
          seq: number;
        }[]
      ).map((r) => r.seq);
      const ranges = raw
        .prepare(
          'SELECT from_seq AS "from", to_seq AS "to" FROM thinned_ranges WHERE gateway_id = ? AND stream = ?',
        )
        .all(gatewayId, stream) as { from: number; to: number }[];
      const thinned = new Set<number>();
      for (const r of ranges) for (let s = r.from; s <= r.to; s++) thinned.add(s);
      const stored = new Set(seqs);
      const missing: number[] = [];
      for (let s = 1; s <= last; s++) if (!stored.has(s) && !thinned.has(s)) missing.push(s);
      // A thinned range may cover records published once before thinning (docs/durability.md): both is fine.
      const unexpected = seqs.filter((s) => s < 1 || s > last);
      let covered = thinned.size;
      for (const s of stored) if (!thinned.has(s)) covered++;
      let outOfOrder = 0;
      for (let i = 1; i < seqs.length; i++) if (seqs[i]! < seqs[i - 1]!) outOfOrder++;
      const cov = coverage.find((c) => c.stream === stream);
      out[stream] = {
        stream,
        lastSeq: last,
        stored: seqs.length,
        thinned: thinned.size,
        covered,
        missing: missing.slice(0, 20),
        unexpected: unexpected.slice(0, 20),
        outOfOrder,
        holes: cov?.holes ?? [],
        highWater: cov?.highWater ?? 0,
      };
    }
    return out;
  } finally {
    raw.close();
    await store.close();
  }
}

/** The assertion-friendly summary: what must be empty/zero/equal for "zero loss, zero duplicates". */
export function problems(report: Record<Stream, StreamReport>): string[] {
  const p: string[] = [];
  for (const r of Object.values(report)) {
    if (r.missing.length) p.push(`${r.stream}: missing seqs ${r.missing.join(',')}`);
    if (r.unexpected.length) p.push(`${r.stream}: unexpected seqs ${r.unexpected.join(',')}`);
    if (r.outOfOrder) p.push(`${r.stream}: ${r.outOfOrder} rows stored out of sequence order`);
    if (r.holes.length) p.push(`${r.stream}: coverage holes ${JSON.stringify(r.holes)}`);
    if (r.lastSeq > 0 && r.highWater !== r.lastSeq)
      p.push(`${r.stream}: high water ${r.highWater} ≠ last seq ${r.lastSeq}`);
    if (r.covered !== r.lastSeq)
      p.push(`${r.stream}: ${r.covered} seqs stored or thinned ≠ last seq ${r.lastSeq}`);
  }
  return p;
}
