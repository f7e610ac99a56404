import { errorMessage } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import { monthPeriod } from '../domain/reading-archive-format.js';
import { expiredMonths } from '../domain/retention-months.js';
import { createReadingArchive, listReadingArchives } from './reading-archives.js';
import { pruneReadingArchive } from './reading-prune.js';
import type { Database } from './schema.js';

export interface RetentionPassInput {
  /** Where the month archives are written (and looked for by file name when pruned). */
  dir: string;
  rawReadingsDays: number;
  /** Wall-clock time of the pass: what "older than the retention period" is measured from. */
  now: number;
  actor: string;
  /** Asked between two months: true ends the pass there (the cloud is stopping). */
  stopping?: () => boolean;
  /** Told of each month archived as soon as it is (a later month failing does not undo it). */
  onArchived?: (period: string) => void;
}

export interface RetentionPass {
  /** Months archived by this pass. */
  archived: string[];
  /** Archives pruned by this pass, and the readings it deleted. */
  pruned: string[];
  readings: number;
  /** Archives whose prune failed (logged by the caller; retried at the next pass). */
  failed: Array<{ id: string; error: string }>;
}

/**
 * One retention pass (docs/operations.md "Retention of raw readings"): archives each calendar month (UTC)
 * wholly older than `rawReadingsDays` that holds readings and has no archive yet (`createReadingArchive`),
 * then prunes each archived expired month that still holds readings (`pruneReadingArchive`, which keeps
 * what anything derived still needs). An archive that cannot be made throws before anything is deleted.
 */
export async function runRetentionPass(db: Kysely<Database>, o: RetentionPassInput): Promise<RetentionPass> {
  const result: RetentionPass = { archived: [], pruned: [], readings: 0, failed: [] };
  const first = await db
    .selectFrom('readings')
    .select((eb) => eb.fn.min('ts').as('ts'))
    .executeTakeFirst();
  if (first?.ts === null || first?.ts === undefined) return result;
  const archives = new Map((await listReadingArchives(db)).map((a) => [a.period, a]));
  const expired = expiredMonths(Number(first.ts), o.now, o.rawReadingsDays);
  for (const period of expired) {
    if (o.stopping?.()) return result;
    if (archives.has(period) || !(await holdsReadings(db, period))) continue;
    archives.set(period, await createReadingArchive(db, { period, dir: o.dir, actor: o.actor, now: o.now }));
    result.archived.push(period);
    o.onArchived?.(period);
  }
  for (const period of expired) {
    const a = archives.get(period);
    if (!a || o.stopping?.() || !(await holdsReadings(db, period))) continue;
    try {
      const r = await pruneReadingArchive(db, a, { actor: o.actor, now: o.now, dir: o.dir });
      result.pruned.push(a.id);
      result.readings += r.readings;
    } catch (err) {
      result.failed.push({ id: a.id, error: errorMessage(err) });
    }
  }
  return result;
}

async function holdsReadings(db: Kysely<Database>, period: string): Promise<boolean> {
  const h = monthPeriod(period);
  const row = await db
    .selectFrom('readings')
    .select('ts')
    .where('ts', '>=', h.fromTs)
    .where('ts', '<', h.toTs)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
