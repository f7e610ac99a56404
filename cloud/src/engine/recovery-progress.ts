/** Done of total, for one kind of recovered subject. */
export interface DoneOfTotal {
  done: number;
  total: number;
}

/** How far the recovery a start began has come (`/readyz` while recovering, docs/operations.md). */
export interface RecoveryProgress {
  /** Locations whose marked windows (or whole history) are re-evaluated. */
  locations: DoneOfTotal;
  /** Units (EPCs) whose custody is rebuilt. */
  units: DoneOfTotal;
  /** Products whose rules changed. */
  products: DoneOfTotal;
  /** Readings evaluated so far by the chunked evaluation of long windows. */
  readingsEvaluated: number;
  /** The location whose long window is being evaluated, and the event time evaluated up to. */
  current?: { locationId: string; evaluatedTo: string };
}

/**
 * The work a start found (the evaluation marks left behind, the locations a lock rule watches) and what of
 * it is done (docs/architecture.md "Recovery"): the cloud is not ready until all of it is, since until then
 * derived state (excursions, locks) may lag the stored events. Work marked later by new events is not
 * counted: it is ordinary evaluation.
 */
export class RecoveryTracker {
  private readonly pending = {
    locations: new Set<string>(),
    units: new Set<string>(),
    products: new Set<string>(),
  };
  private readonly totals = { locations: 0, units: 0, products: 0 };
  private readingsEvaluated = 0;
  private current: { locationId: string; evaluatedTo: number } | undefined;
  private readonly waiting: Array<() => void> = [];

  /** Adds what a start found to recover. */
  begin(work: { locations?: Iterable<string>; units?: Iterable<string>; products?: Iterable<string> }): void {
    for (const kind of ['locations', 'units', 'products'] as const) {
      for (const id of work[kind] ?? []) {
        if (this.pending[kind].has(id)) continue;
        this.pending[kind].add(id);
        this.totals[kind]++;
      }
    }
  }

  /** Subjects whose recomputation committed. */
  done(kind: 'locations' | 'units' | 'products', ids: Iterable<string>): void {
    for (const id of ids) this.pending[kind].delete(id);
    if (kind === 'locations' && this.current && !this.pending.locations.has(this.current.locationId))
      this.current = undefined;
    if (!this.recovering) for (const resolve of this.waiting.splice(0)) resolve();
  }

  /** Resolves once nothing of the recovery is left (at once if nothing is). */
  whenRecovered(): Promise<void> {
    if (!this.recovering) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** A chunk of a long window committed: `readings` more evaluated, up to `evaluatedTo` (event time). */
  chunk(locationId: string, readings: number, evaluatedTo: number): void {
    this.readingsEvaluated += readings;
    if (this.pending.locations.has(locationId)) this.current = { locationId, evaluatedTo };
  }

  /** Whether this subject is part of the start's recovery and not yet recomputed. */
  recovers(kind: 'locations' | 'units' | 'products', id: string): boolean {
    return this.pending[kind].has(id);
  }

  get recovering(): boolean {
    return this.pending.locations.size + this.pending.units.size + this.pending.products.size > 0;
  }

  progress(): RecoveryProgress {
    const of = (kind: 'locations' | 'units' | 'products') => ({
      done: this.totals[kind] - this.pending[kind].size,
      total: this.totals[kind],
    });
    const c = this.current;
    return {
      locations: of('locations'),
      units: of('units'),
      products: of('products'),
      readingsEvaluated: this.readingsEvaluated,
      ...(c && Number.isFinite(c.evaluatedTo)
        ? { current: { locationId: c.locationId, evaluatedTo: new Date(c.evaluatedTo).toISOString() } }
        : {}),
    };
  }
}
