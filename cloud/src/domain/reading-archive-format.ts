import { z } from 'zod';
import type { ReadingRow } from './reading-digests.js';

/**
 * The archive file of a month of raw readings (docs/operations.md "Archives of raw readings"): gzip of
 * NDJSON, one header line, one line per stored reading with every column of `readings` as stored (PostgreSQL
 * bigints as numbers), ordered by gateway (JavaScript string order) then stored seq, and a trailer with the
 * row count, so a truncated file is told apart from a short month without the database.
 */

export const ARCHIVE_FORMAT = 'coldtrace.readings-archive';
export const ARCHIVE_VERSION = 1;

/** Every column of `readings`, in the order each line writes them. */
export const ARCHIVE_COLUMNS = [
  'gateway_id',
  'seq',
  'sensor_id',
  'location_id',
  'ts',
  'temp_c',
  'rh',
  'quality',
  'received_at',
] as const;

/** A `readings` row as an archive line holds it: a digested row (`ReadingRow`) and its gateway. */
export interface ArchivedReading extends ReadingRow {
  gateway_id: string;
}

const readingLine = z
  .object({
    gateway_id: z.string(),
    seq: z.number().int(),
    sensor_id: z.string(),
    location_id: z.string(),
    ts: z.number().int(),
    temp_c: z.number().nullable(),
    rh: z.number().nullable(),
    quality: z.string(),
    received_at: z.number().int(),
  })
  .strict();

const headerLine = z
  .object({
    format: z.literal(ARCHIVE_FORMAT),
    version: z.literal(ARCHIVE_VERSION),
    period: z.string(),
    fromTs: z.number().int(),
    toTs: z.number().int(),
    columns: z.array(z.string()),
  })
  .strict();

const trailerLine = z.object({ end: z.literal(true), rows: z.number().int().min(0) }).strict();

export interface ArchiveHeader {
  period: string;
  fromTs: number;
  toTs: number;
}

/** A calendar month (UTC) `YYYY-MM` as its time span [fromTs, toTs); throws on anything else. */
export function monthPeriod(period: string): ArchiveHeader {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(period);
  if (!m) throw new Error(`period ${JSON.stringify(period)} is not a month YYYY-MM`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return { period, fromTs: Date.UTC(y, mo, 1), toTs: Date.UTC(y, mo + 1, 1) };
}

/** The archive's id (also its file name without extension). */
export const archiveId = (period: string) => `readings-${period}`;
export const archiveFileName = (period: string) => `${archiveId(period)}.ndjson.gz`;

export const headerText = (h: ArchiveHeader): string =>
  `${JSON.stringify({ format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, ...h, columns: ARCHIVE_COLUMNS })}\n`;

/** One reading's line, its columns in `ARCHIVE_COLUMNS` order; PostgreSQL bigint strings become numbers. */
export function readingText(r: Record<(typeof ARCHIVE_COLUMNS)[number], unknown>): string {
  const opt = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return `${JSON.stringify({
    gateway_id: r.gateway_id,
    seq: Number(r.seq),
    sensor_id: r.sensor_id,
    location_id: r.location_id,
    ts: Number(r.ts),
    temp_c: opt(r.temp_c),
    rh: opt(r.rh),
    quality: r.quality,
    received_at: Number(r.received_at),
  })}\n`;
}

export const trailerText = (rows: number): string => `${JSON.stringify({ end: true, rows })}\n`;

/**
 * Reads an archive's lines in order and says what is wrong with them: a header of this format first, then
 * readings with every column (ascending gateway, then seq), then a trailer whose count is the readings read.
 */
export class ArchiveLineReader {
  header: ArchiveHeader | undefined;
  rows = 0;
  ended = false;
  private last: { gateway: string; seq: number } | undefined;

  /** The reading a line holds (undefined for the header and trailer); throws naming the line. */
  line(text: string): ArchivedReading | undefined {
    const at = this.rows + (this.header ? 2 : 1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error(`line ${at} is not JSON`);
    }
    if (this.ended) throw new Error(`line ${at} follows the trailer`);
    if (!this.header) {
      const h = headerLine.safeParse(value);
      if (!h.success || h.data.columns.join(',') !== ARCHIVE_COLUMNS.join(','))
        throw new Error(`line 1 is not a ${ARCHIVE_FORMAT} v${ARCHIVE_VERSION} header`);
      this.header = { period: h.data.period, fromTs: h.data.fromTs, toTs: h.data.toTs };
      return undefined;
    }
    const t = trailerLine.safeParse(value);
    if (t.success) {
      if (t.data.rows !== this.rows)
        throw new Error(`the trailer counts ${t.data.rows} readings, the file holds ${this.rows}`);
      this.ended = true;
      return undefined;
    }
    const r = readingLine.safeParse(value);
    if (!r.success) throw new Error(`line ${at} is not a reading`);
    const row = r.data;
    if (row.ts < this.header.fromTs || row.ts >= this.header.toTs)
      throw new Error(`line ${at}: reading time outside ${this.header.period}`);
    const l = this.last;
    if (l && (row.gateway_id < l.gateway || (row.gateway_id === l.gateway && row.seq <= l.seq)))
      throw new Error(`line ${at}: readings out of order`);
    this.last = { gateway: row.gateway_id, seq: row.seq };
    this.rows++;
    return row;
  }

  /** After the last line: throws when the trailer is missing (a truncated file). */
  finish(): ArchiveHeader & { rows: number } {
    if (!this.header) throw new Error('the file is empty');
    if (!this.ended) throw new Error('the trailer is missing (truncated file)');
    return { ...this.header, rows: this.rows };
  }
}
