import {
  bufferEpochSchema,
  ColdtraceError,
  epochMsSchema,
  formatZodError,
  idSchema,
  MAX_BATCH_RECORDS,
  seqRangeSchema,
  seqSchema,
} from '@coldtrace/shared';
import { z } from 'zod';
import type { PeekJsonResult } from '../buffer/record-buffer.js';

/** The fields of a batch around its records (shared/src/batch.ts), checked on every batch. */
const envelopeSchema = z
  .object({
    gatewayId: idSchema,
    firstSeq: seqSchema,
    lastSeq: seqSchema,
    sentAt: epochMsSchema,
    epoch: bufferEpochSchema,
    records: z.number().int().max(MAX_BATCH_RECORDS),
    thinned: z.array(seqRangeSchema).max(MAX_BATCH_RECORDS),
  })
  .strict()
  .refine((e) => e.firstSeq <= e.lastSeq, { message: 'firstSeq must not exceed lastSeq', path: ['lastSeq'] });

/**
 * The wire JSON of a readings, movements or alarms batch (shared/src/batch.ts), built from the records'
 * stored JSON text: no record objects and no per-record schema pass on the publish path. Each stored text
 * is the record's wire JSON, checked against the contract by the buffer's `append`; that `records` ∪
 * `thinned` cover firstSeq..lastSeq exactly once is the buffer's `peek` contract
 * (edge/test/buffer/buffer-contract-sequences.ts). The envelope is checked here; a violation throws
 * `ColdtraceError('invalid_batch')`. Consumes `span.records`: its first and last entries take the
 * envelope, so one join allocates the payload once (a template around `records.join(',')` would build
 * the records' text twice, both in V8's large-object space for a 5000-record batch).
 */
export function encodeBatchJson(
  gatewayId: string,
  epoch: string,
  sentAt: number,
  span: PeekJsonResult,
): string {
  const { records, thinned, firstSeq, lastSeq } = span;
  const check = envelopeSchema.safeParse({
    gatewayId,
    firstSeq,
    lastSeq,
    sentAt,
    epoch,
    records: records.length,
    thinned,
  });
  if (!check.success)
    throw new ColdtraceError(
      'invalid_batch',
      `batch ${firstSeq}..${lastSeq}: ${formatZodError(check.error)}`,
    );
  const head = `{"gatewayId":${JSON.stringify(gatewayId)},"firstSeq":${firstSeq},"lastSeq":${lastSeq},"sentAt":${sentAt},"epoch":${JSON.stringify(epoch)},"records":[`;
  const tail = thinned.length ? `],"thinned":${JSON.stringify(thinned)}}` : ']}';
  if (records.length === 0) return head + tail;
  records[0] = head + records[0];
  records[records.length - 1] += tail;
  return records.join(',');
}
