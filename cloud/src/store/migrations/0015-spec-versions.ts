import { type Kysely, type Migration, sql } from 'kysely';

/** Migration 0015-spec-versions. Shipped migrations are never edited; add a new one instead. */
export const migration0015: Migration = {
  // docs/domain.md "Effective-dated specifications": every version of a location's limits and of a
  // product's specification, in force from `effective_from` (a data time; null = from the beginning)
  // until the next version in force; `replaced_by` names the version that replaced it (then it is history
  // only). `kind`: initial, change (takes effect now or later) or correction (retroactive). Existing
  // locations and products get their current values as version 1 from the beginning, so their history
  // evaluates exactly as before.
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('spec_versions')
      .addColumn('subject_kind', 'text', (c) => c.notNull())
      .addColumn('subject_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('effective_from', 'bigint')
      .addColumn('spec_json', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('replaced_by', 'integer')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('spec_versions_pk', ['subject_kind', 'subject_id', 'version'])
      .execute();
    const note = { actor: 'system', reason: 'specification in force when versions were introduced' };
    const locations = await sql<Record<string, unknown>>`SELECT * FROM locations`.execute(db);
    const products = await sql<Record<string, unknown>>`SELECT * FROM products`.execute(db);
    const rows = [
      ...locations.rows.map((l) => ({
        subject_kind: 'location',
        subject_id: String(l.id),
        spec_json: JSON.stringify({
          minC: Number(l.min_c),
          maxC: Number(l.max_c),
          alarmDelayMs: Number(l.alarm_delay_ms),
          criticalMarginC: Number(l.critical_margin_c),
          maxGapMs: Number(l.max_gap_ms),
        }),
        created_at: Number(l.updated_at),
      })),
      ...products.rows.map((p) => ({
        subject_kind: 'product',
        subject_id: String(p.gtin),
        spec_json: JSON.stringify({
          minC: Number(p.min_c),
          maxC: Number(p.max_c),
          stabilityBudgetMs: Number(p.stability_budget_ms),
          cumulativeRules: JSON.parse(String(p.cumulative_rules ?? '[]')),
        }),
        created_at: Number(p.updated_at),
      })),
    ];
    for (const r of rows) {
      await sql`INSERT INTO spec_versions (subject_kind, subject_id, version, effective_from, spec_json, kind,
        replaced_by, created_at, actor, reason) VALUES (${r.subject_kind}, ${r.subject_id}, 1, NULL,
        ${r.spec_json}, 'initial', NULL, ${r.created_at}, ${note.actor}, ${note.reason})`.execute(db);
    }
  },
};
