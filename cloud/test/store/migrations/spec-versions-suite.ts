import { type Kysely, sql } from 'kysely';
import { expect, it } from 'vitest';
import { type Dialect, migrateTo, migrateToLatest } from '../../../src/store/migrations.js';
import type { DomainDatabase } from '../../../src/store/schema.js';
import { specHistory, specsInForce } from '../../../src/store/spec-version-repo.js';

/**
 * Migration 0015-spec-versions on one dialect: existing locations and products become version 1 of their
 * specification, in force from the beginning, so their history evaluates as before (docs/domain.md
 * "Effective-dated specifications").
 */
export function specVersionsMigrationSuite(open: () => Promise<{ db: Kysely<unknown>; dialect: Dialect }>) {
  it('gives every existing location and product its specification as version 1 from the beginning', async () => {
    const { db, dialect } = await open();
    await migrateTo(db, dialect, '0014-lock-rule-key');
    await sql`INSERT INTO locations (id, name, kind, min_c, max_c, alarm_delay_ms, critical_margin_c, max_gap_ms,
      created_at, updated_at) VALUES ('room-a', 'Room A', 'room', 2, 8.5, 600000, 5, 1800000, 10, 20)`.execute(
      db,
    );
    await sql`INSERT INTO products (gtin, name, min_c, max_c, stability_budget_ms, cumulative_rules, created_at,
      updated_at) VALUES ('80614141123458', 'Vaccine', -0.5, 25, 36000000,
      '[{"kind":"above","thresholdC":8,"limitMs":3600000}]', 30, 40)`.execute(db);
    // Precondition: no versions table before the migration.
    await expect(sql`SELECT * FROM spec_versions`.execute(db)).rejects.toThrow();
    await migrateToLatest(db, dialect);

    const store = db as unknown as Kysely<DomainDatabase>;
    const location = await specHistory(store, 'location', 'room-a');
    expect(location).toEqual([
      {
        version: 1,
        effectiveFrom: Number.NEGATIVE_INFINITY,
        spec: { minC: 2, maxC: 8.5, alarmDelayMs: 600_000, criticalMarginC: 5, maxGapMs: 1_800_000 },
        kind: 'initial',
        replacedBy: null,
        createdAt: 20,
        actor: 'system',
        reason: 'specification in force when versions were introduced',
      },
    ]);
    expect(await specsInForce(store, 'product', '80614141123458')).toEqual([
      {
        version: 1,
        effectiveFrom: Number.NEGATIVE_INFINITY,
        spec: {
          minC: -0.5,
          maxC: 25,
          stabilityBudgetMs: 36_000_000,
          cumulativeRules: [{ kind: 'above', thresholdC: 8, limitMs: 3_600_000 }],
        },
      },
    ]);
    // One version per (subject, number): a second version 1 is refused.
    await expect(
      sql`INSERT INTO spec_versions (subject_kind, subject_id, version, effective_from, spec_json, kind,
        replaced_by, created_at, actor, reason) VALUES ('location', 'room-a', 1, 5, '{}', 'change', NULL, 1,
        'x', 'y')`.execute(db),
    ).rejects.toThrow();
    await db.destroy();
  });
}
