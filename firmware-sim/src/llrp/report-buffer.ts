import type { TagRead } from '@coldtrace/shared/llrp';
import { ROReportTrigger } from '@coldtrace/shared/llrp';

/** The ROReportSpec of a ROSpec (LLRP 1.0.1 §16.2.7.1): when to send the TagReportData it holds. */
export interface ReportPolicy {
  /** ROReportTrigger: 0 None, 1 Upon N tags or end of AISpec, 2 Upon N tags or end of ROSpec. */
  trigger: number;
  /** N: TagReportData per report; 0 = no limit (report only at the end, or on GET_REPORT). */
  n: number;
}

/**
 * The reads a running ROSpec holds until its ROReportTrigger fires (LLRP 1.0.1 §16.2.7.1):
 * - trigger 1 or 2 with N > 0: a report as soon as N TagReportData are held;
 * - trigger 1 or 2: everything held at the end of the AISpec / ROSpec (the simulator's ROSpecs have one
 *   AISpec that runs until the ROSpec stops, so both ends coincide); N = 0 reports only then;
 * - trigger 0 (None): nothing is sent by itself; the client asks with GET_REPORT (§16.1).
 * `emit` receives whole reports (each a list of reads, at most N when N > 0).
 */
export class ReportBuffer {
  private held: TagRead[] = [];

  constructor(private readonly emit: (reports: TagRead[][]) => void) {}

  get size(): number {
    return this.held.length;
  }

  add(reads: readonly TagRead[], policy: ReportPolicy): void {
    for (const r of reads) this.held.push(r);
    if (!reportsOnCount(policy)) return;
    const reports: TagRead[][] = [];
    while (this.held.length >= policy.n) reports.push(this.held.splice(0, policy.n));
    if (reports.length > 0) this.emit(reports);
  }

  /** End of the AISpec / ROSpec: triggers 1 and 2 report everything held; None keeps it for GET_REPORT. */
  end(policy: ReportPolicy): void {
    if (policy.trigger !== ROReportTrigger.None) this.flush(policy);
  }

  /** GET_REPORT: everything held, whatever the trigger. */
  flush(policy: ReportPolicy): void {
    if (this.held.length === 0) return;
    const size = policy.n > 0 ? policy.n : this.held.length;
    const reports: TagRead[][] = [];
    while (this.held.length > 0) reports.push(this.held.splice(0, size));
    this.emit(reports);
  }

  /**
   * Simulator extension, not LLRP 1.0.1: a partial batch (fewer than N) is sent after a quiet period so
   * that scripted passes are not held until N more reads happen. Only for triggers that report on a
   * count (1 or 2 with N > 0); N = 0 and None keep their end-of-spec / GET_REPORT semantics.
   */
  partial(policy: ReportPolicy): void {
    if (reportsOnCount(policy)) this.flush(policy);
  }

  clear(): void {
    this.held = [];
  }
}

function reportsOnCount(p: ReportPolicy): boolean {
  return (
    (p.trigger === ROReportTrigger.UponNTagsOrEndOfAISpec ||
      p.trigger === ROReportTrigger.UponNTagsOrEndOfROSpec) &&
    p.n > 0
  );
}
