import { chartMarginOf } from '../domain/reading-retention.js';
import { inForceAt, timeline } from '../domain/spec-versions.js';
import type { CloudStore } from '../store/cloud-store.js';
import { locationVersions } from '../store/location-master.js';
import type {
  ExcursionReportInput,
  ReportAuditEntry,
  ReportDecision,
  ReportExcursion,
  ReportHeldQuantity,
  ReportLot,
  ReportSeries,
} from './report-input.js';
import { reportRevision } from './report-revision.js';
import { sensorsOf } from './report-sensors.js';

/** Gathers the input of one excursion report; null when the excursion does not exist. */
export interface ReportSource {
  excursionReport(
    excursionId: string,
    ctx: { generatedAt: number; version: string; generatedBy?: string | null },
  ): Promise<ExcursionReportInput | null>;
}

/**
 * What only the domain engine knows: affected lots, signed decisions, audit entries. The
 * store-backed source works without it and says so in the report's notes.
 */
export interface ReportDomainData {
  lots(excursion: ReportExcursion): Promise<ReportLot[]>;
  decisions(excursion: ReportExcursion): Promise<ReportDecision[]>;
  audit(excursion: ReportExcursion): Promise<ReportAuditEntry[]>;
  /** Extra notes printed under the statistics (e.g. exposed units commissioned to no lot). */
  notes?(excursion: ReportExcursion): Promise<string[]>;
}

/** The report source over the cloud store (excursions, locations, readings) plus optional domain data. */
export class StoreReportSource implements ReportSource {
  constructor(
    private readonly store: CloudStore,
    private readonly domain?: ReportDomainData,
  ) {}

  async excursionReport(
    excursionId: string,
    ctx: { generatedAt: number; version: string; generatedBy?: string | null },
  ): Promise<ExcursionReportInput | null> {
    const row = await this.store.db
      .selectFrom('excursions')
      .selectAll()
      .where('id', '=', excursionId)
      .executeTakeFirst();
    if (!row) return null;
    const location = await this.store.getLocation(row.location_id);
    // The limits the excursion was judged by: the version in force at its start (docs/domain.md
    // "Effective-dated specifications"), not a later one.
    const limits = location
      ? inForceAt(timeline(await locationVersions(this.store.db, location)), row.start_ts)
      : undefined;
    const excursion: ReportExcursion = {
      id: row.id,
      locationId: row.location_id,
      locationName: location?.name ?? row.location_id,
      startTs: row.start_ts,
      endTs: row.end_ts,
      durationMs: row.duration_ms,
      minC: row.min_c,
      maxC: row.max_c,
      peakC: row.peak_c,
      degreeMinutes: row.degree_minutes,
      mktC: row.mkt_c,
      critical: row.critical === 1,
      sensorIds: row.sensor_ids ? row.sensor_ids.split(',') : [],
      state: row.state,
    };
    excursion.sensors = await sensorsOf(
      this.store,
      excursion.sensorIds,
      row.start_ts,
      row.end_ts ?? row.last_ts,
    );
    const end = row.end_ts ?? row.last_ts;
    const margin = chartMarginOf(end - row.start_ts);
    const window = { fromTs: row.start_ts - margin, toTs: end + margin };
    const readings = await this.store.listReadings({
      locationId: row.location_id,
      fromTs: window.fromTs,
      toTs: window.toTs + 1,
      limit: 200_000,
    });
    const bySensor = new Map<string, ReportSeries['points'][number][]>();
    for (const r of readings) {
      const list = bySensor.get(r.sensor_id) ?? [];
      list.push({ ts: r.ts, tempC: r.temp_c });
      bySensor.set(r.sensor_id, list);
    }
    // The legend names each sensor as master data does (the excursion's own sensors are already read).
    const names = new Map((excursion.sensors ?? []).map((s) => [s.id, s.name]));
    const unnamed = [...bySensor.keys()].filter((id) => !names.has(id));
    if (unnamed.length)
      for (const r of await this.store.db
        .selectFrom('sensors')
        .select(['id', 'name'])
        .where('id', 'in', unnamed)
        .execute())
        names.set(r.id, r.name);
    const series = [...bySensor.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([sensorId, points]) => ({ sensorId, sensorName: names.get(sensorId) ?? sensorId, points }));
    const notes = this.domain
      ? ((await this.domain.notes?.(excursion)) ?? [])
      : ['Affected lots, decisions and the audit excerpt are not available from this cloud build yet.'];
    const decisions = (await this.domain?.decisions(excursion)) ?? [];
    const revision = reportRevision(
      row.id,
      Number(row.version),
      decisions.map((d) => ({
        id: d.id,
        excursionVersion: d.excursionVersion,
        signedAt: d.signature.signedAt,
      })),
    );
    return {
      reportId: revision.reportId,
      supersedes: revision.supersedes,
      generatedAt: ctx.generatedAt,
      version: ctx.version,
      generatedBy: ctx.generatedBy ?? null,
      excursion,
      limits: {
        minC: limits?.minC ?? Math.min(row.min_c, 0),
        maxC: limits?.maxC ?? Math.max(row.max_c, 1),
        criticalMarginC: limits?.criticalMarginC ?? 0,
        alarmDelayMs: limits?.alarmDelayMs ?? 0,
      },
      window,
      series,
      lots: (await this.domain?.lots(excursion)) ?? [],
      heldQuantities: await this.heldQuantities(excursion.id),
      decisions,
      audit: (await this.domain?.audit(excursion)) ?? [],
      notes,
    };
  }

  /** The excursion's quantity holds not lifted (units without serial), by lot and location. */
  private async heldQuantities(excursionId: string): Promise<ReportHeldQuantity[]> {
    const rows = await this.store.db
      .selectFrom('quantity_holds')
      .leftJoin('locations', 'locations.id', 'quantity_holds.location_id')
      .select([
        'quantity_holds.lot_id as lotId',
        'quantity_holds.location_id as locationId',
        'locations.name as locationName',
        'quantity_holds.units as units',
        'quantity_holds.state as state',
        'quantity_holds.decided_units as decidedUnits',
      ])
      .where('quantity_holds.excursion_id', '=', excursionId)
      .where('quantity_holds.state', '!=', 'lifted')
      .orderBy('quantity_holds.lot_id')
      .orderBy('quantity_holds.location_id')
      .execute();
    return rows.map((r) => ({
      lotId: r.lotId,
      location: r.locationName ?? r.locationId,
      units: Number(r.units),
      state: r.state,
      decidedUnits: r.decidedUnits === null ? null : Number(r.decidedUnits),
    }));
  }
}
