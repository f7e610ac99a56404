import type { LockRule } from '../../src/domain/locks/lock-rule.js';

/** A lock rule that, told of a gated location's readings, holds its derive transaction open until released. */
export class GateRule implements LockRule {
  readonly cause = 'rate_of_change' as const;
  /** Locations this engine's rule was told of (inside their derive transactions), in order. */
  readonly entered: string[] = [];
  private readonly gates = new Map<string, { open: Promise<void>; release: () => void }>();
  spans = false;
  /** Runs inside the derive transaction, before the gate. */
  onApply: ((locationId: string) => Promise<void>) | undefined;
  watches(): boolean {
    return false;
  }
  locations(): readonly string[] {
    return [];
  }
  spansLocations(): boolean {
    return this.spans;
  }
  gate(locationId: string): () => void {
    let release!: () => void;
    const open = new Promise<void>((r) => {
      release = r;
    });
    this.gates.set(locationId, { open, release });
    return release;
  }
  releaseAll(): void {
    for (const g of this.gates.values()) g.release();
  }
  async apply(_repo: unknown, change: Parameters<LockRule['apply']>[1]): Promise<void> {
    if (change.kind !== 'readings') return;
    this.entered.push(change.locationId);
    await this.onApply?.(change.locationId);
    await this.gates.get(change.locationId)?.open;
  }
}
