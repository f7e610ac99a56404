import { type Clock, ColdtraceError } from '@coldtrace/shared';
import { appendAudit } from '../store/audit-append.js';
import type { CloudStore } from '../store/cloud-store.js';
import type { Ingestor } from './ingestor.js';

export interface ReplayResult {
  stream: string;
  inserted: number;
  duplicates: number;
}

/**
 * Replays a dead letter through the ingest pipeline once its cause is fixed: typically a gateway that
 * published through an external broker before it was registered in the cloud (`unknown_gateway`: the broker
 * acknowledged, so the gateway no longer has those records). Stored as any message (idempotent on the
 * record keys, so a replay that crashed before it was marked can simply be replayed again); the dead letter
 * is marked replayed and the replay is audited (`dead_letter.replayed`) in one transaction. Refused (409):
 * a message still rejected (with its code and reason; nothing changes), one already replayed, one whose
 * payload was not kept byte for byte (over the 4 MiB limit, or not UTF-8), and one the topic ACL refused
 * (it was published under another gateway's root: replaying it would store it as that gateway's).
 */
export async function replayDeadLetter(
  deps: { store: CloudStore; ingestor: Ingestor; clock: Clock },
  id: number,
  actor: string,
): Promise<ReplayResult> {
  const { store, ingestor, clock } = deps;
  const d = await store.getDeadLetter(id);
  if (!d) throw new ColdtraceError('not_found', `dead letter ${id} not found`);
  if (d.replayed_at !== null) {
    throw new ColdtraceError(
      'conflict',
      `dead letter ${id} was replayed at ${new Date(d.replayed_at).toISOString()} by ${d.replayed_by}`,
    );
  }
  if (d.code === 'acl_denied') {
    throw new ColdtraceError(
      'conflict',
      `dead letter ${id} was published under another gateway's topic root; it is never replayed`,
    );
  }
  const payload = Buffer.from(d.payload, 'utf8');
  if (payload.length !== d.payload_bytes) {
    throw new ColdtraceError(
      'conflict',
      `dead letter ${id}: ${d.payload_bytes} bytes were received and ${payload.length} kept (over the payload limit or not UTF-8); it cannot be replayed`,
    );
  }
  const outcome = await ingestor.replay({ topic: d.topic, payload, clientId: d.client_id ?? undefined });
  if (outcome.kind === 'dead_letter') {
    throw new ColdtraceError(
      'conflict',
      `dead letter ${id} is still rejected: ${outcome.code}: ${outcome.reason}`,
    );
  }
  const result: ReplayResult = {
    stream: outcome.stream,
    inserted: outcome.inserted,
    duplicates: outcome.duplicates,
  };
  const now = clock.now();
  await store.db.transaction().execute(async (trx) => {
    const marked = await trx
      .updateTable('dead_letters')
      .set({ replayed_at: now, replayed_by: actor, replay_result: JSON.stringify(result) })
      .where('id', '=', id)
      .where('replayed_at', 'is', null)
      .executeTakeFirst();
    // Replayed concurrently by another caller: its mark and audit entry stand (the records are stored once).
    if (Number(marked.numUpdatedRows) === 0) return;
    await appendAudit(
      trx,
      [
        {
          actor,
          action: 'dead_letter.replayed',
          entityType: 'dead_letter',
          entityId: String(id),
          before: { code: d.code, reason: d.reason, receivedAt: d.received_at, gatewayId: d.gateway_id },
          after: result,
          reason: `replayed by ${actor} after its cause (${d.code}) was fixed`,
        },
      ],
      now,
    );
  });
  return result;
}
