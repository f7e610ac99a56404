import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/** A reading waiting in a sink's outbox, joined with the stored reading (null if it is gone). */
export interface OutboxReading {
  id: number;
  gateway_id: string;
  seq: number;
  sensor_id: string | null;
  location_id: string | null;
  ts: number | null;
  temp_c: number | null;
  rh: number | null;
  quality: string | null;
}

/** Rows per DELETE … IN (…) statement. */
const CHUNK = 500;

/**
 * The durable outbox of the time-series sinks (migration 0003-sinks). A trigger on `readings` enqueues
 * each newly inserted reading for every enabled sink inside the ingest transaction; a sink takes rows
 * in id order, sends them and deletes them only after the send succeeded (at-least-once; the sinks'
 * writes are idempotent).
 */
export class SinkOutbox {
  constructor(
    private readonly db: Kysely<Database>,
    readonly sink: string,
  ) {}

  /**
   * Enables the sink (readings are enqueued from now on). Enabling a sink that was not enabled
   * enqueues the readings already stored when `backfill` is set, so the series is complete.
   * Disabling drops its queue: a disabled sink holds no disk.
   */
  async setEnabled(enabled: boolean, now: number, opts: { backfill?: boolean } = {}): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('sink_state')
        .select('enabled')
        .where('name', '=', this.sink)
        .executeTakeFirst();
      await trx
        .insertInto('sink_state')
        .values({ name: this.sink, enabled: enabled ? 1 : 0, updated_at: now })
        .onConflict((oc) => oc.column('name').doUpdateSet({ enabled: enabled ? 1 : 0, updated_at: now }))
        .execute();
      if (!enabled) {
        await trx.deleteFrom('sink_outbox').where('sink', '=', this.sink).execute();
      } else if (opts.backfill && before?.enabled !== 1) {
        await trx
          .insertInto('sink_outbox')
          .columns(['sink', 'gateway_id', 'seq', 'ts'])
          .expression((eb) =>
            eb
              .selectFrom('readings')
              .select((s) => [s.val(this.sink).as('sink'), 'gateway_id', 'seq', 'ts'])
              .orderBy('received_at')
              .orderBy('gateway_id')
              .orderBy('seq'),
          )
          .execute();
      }
    });
  }

  /** The oldest `limit` queued readings, in enqueue order. */
  take(limit: number): Promise<OutboxReading[]> {
    return this.takeQuery(limit).execute() as Promise<OutboxReading[]>;
  }

  /** The query `take` runs (its plan is tested: one partition of readings per queued row). */
  takeQuery(limit: number) {
    return this.db
      .selectFrom('sink_outbox as o')
      .leftJoin('readings as r', (j) =>
        // The time too: on PostgreSQL the reading is looked for in its month's partition alone (0041).
        j.onRef('r.gateway_id', '=', 'o.gateway_id').onRef('r.seq', '=', 'o.seq').onRef('r.ts', '=', 'o.ts'),
      )
      .select([
        'o.id',
        'o.gateway_id',
        'o.seq',
        'r.sensor_id',
        'r.location_id',
        'r.ts',
        'r.temp_c',
        'r.rh',
        'r.quality',
      ])
      .where('o.sink', '=', this.sink)
      .orderBy('o.id')
      .limit(limit);
  }

  /** Removes sent rows. */
  async ack(ids: readonly number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK) {
      await this.db
        .deleteFrom('sink_outbox')
        .where('sink', '=', this.sink)
        .where('id', 'in', ids.slice(i, i + CHUNK))
        .execute();
    }
  }

  async backlog(): Promise<number> {
    const r = await this.db
      .selectFrom('sink_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('sink', '=', this.sink)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
