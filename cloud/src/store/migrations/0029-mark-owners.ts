import { type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from '../migrations.js';

/** The PostgreSQL session setting that names the cloud process owning a connection (store/db.ts). */
export const NODE_SETTING = 'coldtrace.node_id';

/** Migration 0029-mark-owners. Shipped migrations are never edited; add a new one instead. */
export const migration0029 = (dialect: Dialect): Migration => ({
  // Evaluation marks of a cloud that died are taken over within seconds (docs/operations.md "Evaluation
  // marks of a cloud that died", domain/node-liveness.ts): every cloud process heartbeats a row in
  // `cloud_nodes` (times on the database's clock), and each mark names the process that wrote it.
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('cloud_nodes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
      .addColumn('heartbeat_ms', 'bigint', (c) => c.notNull())
      .execute();
    // Marks committed before this migration keep a null owner: the age-based sweep takes them.
    await db.schema.alterTable('evaluation_marks').addColumn('owner', 'text').execute();
    if (dialect === 'postgres') {
      // Every writer of marks (ingest, master data, commissioning, a CLI command) stamps its process without
      // passing it: each pooled connection sets `coldtrace.node_id` when it opens (store/db.ts). Set after
      // the column exists, so the rows above are not given the migrating process as owner.
      await sql`ALTER TABLE evaluation_marks ALTER COLUMN owner SET DEFAULT nullif(current_setting(${sql.lit(NODE_SETTING)}, true), '')`.execute(
        db,
      );
    }
    // The sweep's distinct owners; marks without owner (all of them on SQLite) cost ingest no index entry.
    await db.schema
      .createIndex('evaluation_marks_owner')
      .on('evaluation_marks')
      .column('owner')
      .where(sql.ref('owner'), 'is not', null)
      .execute();
  },
});
