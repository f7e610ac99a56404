import { z } from 'zod';
import { epochMsSchema, idSchema, seqSchema } from './ids.js';
import { alarmSchema, type Movement, movementRecordSchema, readingSchema } from './records.js';

/** Most records one batch may carry; the edge splits larger backlogs. */
export const MAX_BATCH_RECORDS = 5000;

/** The id of one edge buffer's sequence space: 16 lower-case hex digits (64 random bits). */
export const bufferEpochSchema = z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lower-case hex digits');

/** A range of sequence numbers the edge deliberately left out (thinned to stay within its disk bound). */
export const seqRangeSchema = z
  .object({ from: seqSchema, to: seqSchema })
  .strict()
  .refine((r) => r.from <= r.to, { message: 'from must not exceed to' });
export type SeqRange = z.infer<typeof seqRangeSchema>;

/**
 * A batch covers every sequence number from `firstSeq` to `lastSeq` exactly once: each is either a
 * record or inside a `thinned` range. So the cloud can tell a deliberate omission from a loss (a hole).
 */
function batchOf<T extends z.ZodType<{ seq: number }>>(record: T) {
  return z
    .object({
      gatewayId: idSchema,
      firstSeq: seqSchema,
      lastSeq: seqSchema,
      sentAt: epochMsSchema,
      /**
       * The edge buffer's epoch (random, made with its database): sequence numbers are unique per
       * gateway, stream and epoch. A new epoch means the sequence restarted (buffer lost or replaced).
       * Optional: gateways before this field send none.
       */
      epoch: bufferEpochSchema.optional(),
      records: z.array(record).max(MAX_BATCH_RECORDS),
      thinned: z.array(seqRangeSchema).max(MAX_BATCH_RECORDS).optional(),
    })
    .strict()
    .superRefine((b, ctx) => {
      if (b.firstSeq > b.lastSeq) {
        ctx.addIssue({ code: 'custom', message: 'firstSeq must not exceed lastSeq', path: ['lastSeq'] });
        return;
      }
      if (b.records.length === 0 && !b.thinned?.length) {
        ctx.addIssue({ code: 'custom', message: 'a batch needs at least one record', path: ['records'] });
        return;
      }
      const covered: Array<[number, number]> = b.records.map((r) => [r.seq, r.seq]);
      for (const t of b.thinned ?? []) covered.push([t.from, t.to]);
      covered.sort((a, c) => a[0] - c[0]);
      let next = b.firstSeq;
      for (const [from, to] of covered) {
        if (from !== next) {
          ctx.addIssue({
            code: 'custom',
            message:
              from < next
                ? `sequence ${from} appears twice in the batch`
                : `sequences ${next}..${from - 1} are neither records nor thinned`,
            path: ['records'],
          });
          return;
        }
        next = to + 1;
      }
      if (next !== b.lastSeq + 1) {
        ctx.addIssue({
          code: 'custom',
          message: `batch covers up to ${next - 1} but lastSeq is ${b.lastSeq}`,
          path: ['lastSeq'],
        });
      }
    });
}

export const readingsBatchSchema = batchOf(readingSchema);
export const movementsBatchSchema = batchOf(movementRecordSchema);
export const alarmsBatchSchema = batchOf(alarmSchema);
export type ReadingsBatch = z.infer<typeof readingsBatchSchema>;
/** A movements batch as on the wire: RFID portal movements and barcode scans. */
export type MovementRecordsBatch = z.infer<typeof movementsBatchSchema>;
/** A movements batch of RFID portal movements only (no scans): what the cloud stores as custody. */
export type MovementsBatch = Omit<MovementRecordsBatch, 'records'> & { records: Movement[] };
export type AlarmsBatch = z.infer<typeof alarmsBatchSchema>;
