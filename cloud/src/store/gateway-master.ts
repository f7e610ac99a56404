import type { Kysely } from 'kysely';
import { appendAudit } from './audit-append.js';
import type { ActorInput } from './master-actor.js';
import type { Database, GatewaysTable } from './schema.js';

export type GatewayUpsert = {
  id: string;
  name?: string | null;
  secretHash?: string | null;
  now: number;
} & ActorInput;

/**
 * Registers or updates a gateway (only the given fields change). With an `actor` (a human action:
 * `coldtrace gateway add`, `POST /gateways/:id/credentials`) the change and its audit entry are one
 * transaction; the secret (or its hash) is never recorded, only whether there is one.
 */
export async function upsertGateway(db: Kysely<Database>, g: GatewayUpsert): Promise<void> {
  const update = {
    ...(g.name !== undefined ? { name: g.name } : {}),
    ...(g.secretHash !== undefined ? { secret_hash: g.secretHash } : {}),
  };
  const write = (d: Kysely<Database>) =>
    d
      .insertInto('gateways')
      .values({
        id: g.id,
        name: g.name ?? null,
        secret_hash: g.secretHash ?? null,
        created_at: g.now,
        online: 0,
      })
      .onConflict((oc) =>
        Object.keys(update).length ? oc.column('id').doUpdateSet(update) : oc.column('id').doNothing(),
      )
      .execute();
  if (g.actor === undefined) {
    await write(db);
    return;
  }
  const actor = g.actor;
  await db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('gateways').selectAll().where('id', '=', g.id).executeTakeFirst();
    await write(trx);
    const after = await trx
      .selectFrom('gateways')
      .selectAll()
      .where('id', '=', g.id)
      .executeTakeFirstOrThrow();
    const brief = (r: GatewaysTable) => ({ name: r.name, hasSecret: r.secret_hash !== null });
    const keyed = g.secretHash !== undefined;
    await appendAudit(
      trx,
      [
        {
          actor,
          action: keyed ? 'gateway.credentials_issued' : 'gateway.updated',
          entityType: 'gateway',
          entityId: g.id,
          before: before ? brief(before) : undefined,
          after: brief(after),
          reason:
            g.reason ??
            (keyed
              ? `gateway ${before ? 're-keyed' : 'registered'}: credentials issued (secret not recorded)`
              : 'gateway master data'),
        },
      ],
      g.now,
    );
  });
}
