/**
 * The cloud's asynchronous work in progress, by kind: work that starts by itself (from a broker hook or a
 * timer) and whose end nothing else shows, such as ingest of a message nobody waits for (a gateway's
 * status) or a debounced recomputation. The parts doing the work report it here, so a host can tell when
 * the cloud is at rest (the scenario runner's discrete-event clock moves time only then).
 */
export class Activity {
  private readonly running = new Map<string, number>();

  /** Counts `work` under `kind` until it settles; returns it unchanged. */
  track<T>(kind: string, work: Promise<T>): Promise<T> {
    this.running.set(kind, (this.running.get(kind) ?? 0) + 1);
    const done = () => this.running.set(kind, this.running.get(kind)! - 1);
    work.then(done, done);
    return work;
  }

  /** What is running, e.g. `ingest ×2, evaluation`; undefined when nothing is. */
  busy(): string | undefined {
    const now = [...this.running].filter(([, n]) => n > 0).map(([k, n]) => (n > 1 ? `${k} ×${n}` : k));
    return now.length ? now.join(', ') : undefined;
  }
}
