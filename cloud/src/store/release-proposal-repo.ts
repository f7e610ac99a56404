import type { Kysely, Transaction } from 'kysely';
import type { ReleaseProposalRepo, ReleaseProposalRow } from '../domain/release-proposals.js';
import type { DomainDatabase } from './schema.js';

/** PostgreSQL returns bigint columns as strings: the row with its numbers as numbers. */
const rowOf = (r: ReleaseProposalRow): ReleaseProposalRow => ({
  ...r,
  excursion_version: Number(r.excursion_version),
  units: Number(r.units),
  signed_at: Number(r.signed_at),
  decided_at: r.decided_at === null ? null : Number(r.decided_at),
});

/** `ReleaseProposalRepo` inside the signing's derive transaction. */
export function releaseProposalRepo(trx: Transaction<DomainDatabase>): ReleaseProposalRepo {
  return {
    async insert(p) {
      await trx.insertInto('release_proposals').values(p).execute();
    },
    async get(id) {
      const r = await trx.selectFrom('release_proposals').selectAll().where('id', '=', id).executeTakeFirst();
      return r && rowOf(r);
    },
    async pendingFor(excursionId, lotId, epc) {
      let q = trx
        .selectFrom('release_proposals')
        .selectAll()
        .where('excursion_id', '=', excursionId)
        .where('state', '=', 'pending');
      q = lotId === null ? q.where('lot_id', 'is', null) : q.where('lot_id', '=', lotId);
      q = epc === null ? q.where('epc', 'is', null) : q.where('epc', '=', epc);
      const r = await q.executeTakeFirst();
      return r && rowOf(r);
    },
    async pendingOn(excursionId) {
      const rows = await trx
        .selectFrom('release_proposals')
        .selectAll()
        .where('excursion_id', '=', excursionId)
        .where('state', '=', 'pending')
        .execute();
      return rows.map(rowOf);
    },
    async supersede(id, dispositionId, at) {
      await trx
        .updateTable('release_proposals')
        .set({ state: 'superseded', disposition_id: dispositionId, decided_at: at })
        .where('id', '=', id)
        .where('state', '=', 'pending')
        .execute();
    },
    async approve(id, dispositionId, at) {
      await trx
        .updateTable('release_proposals')
        .set({ state: 'approved', disposition_id: dispositionId, decided_at: at })
        .where('id', '=', id)
        .execute();
    },
  };
}

/** Release proposals, newest first, filtered by state and excursion. */
export async function listReleaseProposals(
  db: Kysely<DomainDatabase>,
  q: { state?: string | undefined; excursionId?: string | undefined } = {},
): Promise<ReleaseProposalRow[]> {
  let s = db.selectFrom('release_proposals').selectAll();
  if (q.state) s = s.where('state', '=', q.state);
  if (q.excursionId) s = s.where('excursion_id', '=', q.excursionId);
  return (await s.orderBy('signed_at', 'desc').orderBy('id').limit(1000).execute()).map(rowOf);
}
