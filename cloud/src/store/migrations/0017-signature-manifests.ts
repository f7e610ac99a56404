import type { Kysely, Migration } from 'kysely';

/** Migration 0017-signature-manifests. Shipped migrations are never edited; add a new one instead. */
export const migration0017: Migration = {
  // 21 CFR 11.70: a disposition's e-signature is linked to what was signed. The manifest's canonical JSON
  // and its SHA-256 (domain/signature-manifest.ts) are stored with the decision; dispositions signed
  // before this migration have none (null), which `audit verify --deep` reports as such, not as tampering.
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('dispositions').addColumn('manifest_json', 'text').execute();
    await db.schema.alterTable('dispositions').addColumn('manifest_hash', 'text').execute();
  },
};
