import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgArrayLiteral } from '../../../src/store/ingest/pg-array-literal.js';
import { type FreshPostgres, freshPostgresUrl } from '../pg-fresh.js';

// Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database (deploy/dev-services.sh).
// The literal ingest's `unnest` statements take instead of node-postgres's array conversion: PostgreSQL
// reads back exactly the values written, for any text (quotes, backslashes, braces, commas, `NULL`,
// whitespace, any Unicode but NUL, which text cannot hold) and any number its column type holds.
describe('pgArrayLiteral against PostgreSQL', () => {
  let fresh: FreshPostgres;
  let client: pg.Client;
  beforeAll(async () => {
    fresh = await freshPostgresUrl();
    client = new pg.Client({ connectionString: fresh.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await fresh?.drop();
  });

  const readBack = async (type: string, values: readonly unknown[]) =>
    (await client.query(`select $1::${type}[] as a`, [pgArrayLiteral(values)])).rows[0].a as unknown[];

  const text = fc.oneof(
    fc.string({ unit: 'grapheme' }),
    fc.constantFrom('NULL', 'null', '', ' ', ' a ', '"', '\\', '\\"', '{}', 'a,b', '{"x"}', '\t\n'),
  );

  it('round-trips text arrays, nulls and runs of equal values included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            text.filter((s) => !s.includes('\u0000')),
            fc.constant(null),
          ),
          { maxLength: 30 },
        ),
        async (values) => {
          const runs = values.flatMap((v) => [v, v]);
          expect(await readBack('text', runs)).toEqual(runs);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('round-trips double precision and bigint arrays, nulls included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null))),
        fc.array(fc.oneof(fc.maxSafeInteger(), fc.constant(null))),
        async (doubles, ints) => {
          // -0 is written as 0, as node-postgres does (its `toString`).
          expect(await readBack('double precision', doubles)).toEqual(doubles.map((d) => (d === 0 ? 0 : d)));
          expect((await readBack('bigint', ints)).map((v) => (v === null ? null : Number(v)))).toEqual(ints);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('writes what node-postgres writes for a JS array, apart from bare numbers', () => {
    const values = ['a"b', 'c\\d', null, 'NULL', 'x', 'x', undefined];
    const { utils } = pg as unknown as { utils: { prepareValue(v: unknown): unknown } };
    const expected = '{"a\\"b","c\\\\d",NULL,"NULL","x","x",NULL}';
    expect(pgArrayLiteral(values)).toBe(expected);
    expect(utils.prepareValue(values)).toBe(expected);
    expect(pgArrayLiteral([1, -0, 2.5, null])).toBe('{1,0,2.5,NULL}');
  });
});
