import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ReadingKeyFilters } from '../../src/store/reading-key-filters.js';
import type { Database } from '../../src/store/schema.js';

// The PostgreSQL plugin that sends text-id filters on the view `readings` by key (migration 0044): which
// filters it rewrites, into what, and which it leaves alone. Compiled only; the PostgreSQL suites run every
// store query through it (store/db.ts), and reading-key-filters.pg.svc.test.ts checks the plans.
const plain = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});
const db = plain.withPlugin(new ReadingKeyFilters());

const byKey = (column: string, dict: string, op = '=', param = '$1') =>
  `"${column}" ${op} (select "key" from "${dict}" where "id" ${op} ${param})`;

describe('ReadingKeyFilters', () => {
  it('filters the view by the key of each text id it names, with = and in', () => {
    const q = db
      .selectFrom('readings')
      .select(['ts', 'temp_c'])
      .where('location_id', '=', 'room-1')
      .where('sensor_id', 'in', ['s1', 's2'])
      .where('gateway_id', '=', 'gw-1')
      .where('ts', '>=', 5)
      .orderBy('ts')
      .compile();
    expect(q.sql).toBe(
      `select "ts", "temp_c" from "readings" where ${byKey('location_key', 'location_keys')} and ` +
        `"sensor_key" in (select "key" from "sensor_keys" where "id" in ($2, $3)) and ` +
        `${byKey('gateway_key', 'gateway_keys', '=', '$4')} and "ts" >= $5 order by "ts"`,
    );
    expect(q.parameters).toEqual(['room-1', 's1', 's2', 'gw-1', 5]);
    // Without the plugin, the same query names the text ids.
    expect(plain.selectFrom('readings').select('ts').where('location_id', '=', 'x').compile().sql).toBe(
      'select "ts" from "readings" where "location_id" = $1',
    );
  });

  it('follows the view through aliases, qualified names and correlated subqueries', () => {
    const q = db
      .selectFrom('sink_outbox as o')
      .leftJoin('readings as r', (j) =>
        j.onRef('r.gateway_id', '=', 'o.gateway_id').onRef('r.seq', '=', 'o.seq'),
      )
      .select(['o.id', 'r.ts'])
      .where('o.gateway_id', '=', 'gw-1')
      .compile();
    expect(q.sql).toBe(
      'select "o"."id", "r"."ts" from "sink_outbox" as "o" left join "readings" as "r" on ' +
        '"r"."gateway_key" = (select "key" from "gateway_keys" where "id" = "o"."gateway_id") and "r"."seq" = "o"."seq" ' +
        'where "o"."gateway_id" = $1',
    );
    const sub = db
      .selectFrom('locations as l')
      .select((eb) => [
        'l.id',
        eb
          .selectFrom('readings')
          .select('ts')
          .whereRef('readings.location_id', '=', 'l.id')
          .orderBy('ts', 'desc')
          .limit(1)
          .as('last'),
      ])
      .compile();
    expect(sub.sql).toContain(
      `(select "ts" from "readings" where "readings"."location_key" = (select "key" from "location_keys" where "id" = "l"."id")`,
    );
  });

  it('leaves other tables’ columns alone, even inside a query that reads the view', () => {
    const other = db.selectFrom('location_sensors').selectAll().where('location_id', '=', 'room-1').compile();
    expect(other.sql).toBe('select * from "location_sensors" where "location_id" = $1');
    // An unqualified column in a subquery over another table is that table's.
    const nested = db
      .selectFrom('readings')
      .select('ts')
      .where('sensor_id', 'in', (eb) =>
        eb.selectFrom('location_sensors').select('sensor_id').where('location_id', '=', 'r'),
      )
      .compile();
    expect(nested.sql).toBe(
      'select "ts" from "readings" where "sensor_key" in (select "key" from "sensor_keys" where "id" in ' +
        '(select "sensor_id" from "location_sensors" where "location_id" = $1))',
    );
    // Other operators and columns are not keyed.
    const rest = db
      .selectFrom('readings')
      .select('ts')
      .where('location_id', '<>', 'a')
      .where('quality', '=', 'ok')
      .compile();
    expect(rest.sql).toBe('select "ts" from "readings" where "location_id" <> $1 and "quality" = $2');
  });

  it('rewrites deletes and updates of the view', () => {
    expect(db.deleteFrom('readings').where('gateway_id', '=', 'g').where('seq', '=', 1).compile().sql).toBe(
      `delete from "readings" where ${byKey('gateway_key', 'gateway_keys')} and "seq" = $2`,
    );
    expect(db.updateTable('readings').set({ temp_c: 1 }).where('sensor_id', '=', 's').compile().sql).toBe(
      `update "readings" set "temp_c" = $1 where ${byKey('sensor_key', 'sensor_keys', '=', '$2')}`,
    );
  });
});
