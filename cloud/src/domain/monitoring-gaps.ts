import type { DeriveRepo } from './derive-repo.js';
import type { ChangeLog } from './exposure.js';
import type { SensorScope } from './location-evaluation.js';

/**
 * Monitoring gaps of the analysed sensor spans: the stored ones there are replaced by the recomputed
 * ones, each difference audited (`monitoring_gap.recorded|changed|withdrawn`); an unchanged span is left
 * as it is (no write).
 */
export async function replaceGaps(
  repo: DeriveRepo,
  locationId: string,
  scopes: readonly SensorScope[],
  gaps: ReadonlyArray<{ sensor_id: string; from_ts: number; to_ts: number }>,
  log: ChangeLog,
  reason: string,
): Promise<void> {
  const inScope = (s: SensorScope, g: { sensor_id: string; from_ts: number }) =>
    g.sensor_id === s.sensorId && g.from_ts >= s.loTs && g.from_ts < s.hiTs;
  const placed = new Set<(typeof gaps)[number]>();
  const inserts: Array<{ location_id: string; sensor_id: string; from_ts: number; to_ts: number }> = [];
  for (const s of scopes) {
    const stored = await repo.gaps(locationId, s.sensorId, s.loTs, s.hiTs);
    const before = new Map(stored.map((g) => [g.from_ts, g.to_ts]));
    const after = new Map<number, number>();
    for (const g of gaps) {
      if (!inScope(s, g)) continue;
      placed.add(g);
      if (!after.has(g.from_ts)) after.set(g.from_ts, g.to_ts);
    }
    const same = before.size === after.size && [...after].every(([from, to]) => before.get(from) === to);
    if (same) continue;
    await repo.deleteGaps(locationId, s.sensorId, s.loTs, s.hiTs);
    const entity = (from: number) => `${locationId}|${s.sensorId}|${new Date(from).toISOString()}`;
    for (const [from, to] of after) {
      inserts.push({ location_id: locationId, sensor_id: s.sensorId, from_ts: from, to_ts: to });
      const was = before.get(from);
      if (was === to) continue;
      log.audit.push({
        actor: 'system',
        action: was === undefined ? 'monitoring_gap.recorded' : 'monitoring_gap.changed',
        entityType: 'monitoring_gap',
        entityId: entity(from),
        before: was === undefined ? undefined : { from, to: was },
        after: { from, to },
        reason,
      });
    }
    for (const [from, to] of before) {
      if (after.has(from)) continue;
      log.audit.push({
        actor: 'system',
        action: 'monitoring_gap.withdrawn',
        entityType: 'monitoring_gap',
        entityId: entity(from),
        before: { from, to },
        reason,
      });
    }
  }
  // A gap outside every analysed span cannot occur (each starts at an analysed reading); kept if it did.
  for (const g of gaps) {
    if (!placed.has(g)) inserts.push({ location_id: locationId, ...g });
  }
  await repo.insertGaps(inserts);
}
