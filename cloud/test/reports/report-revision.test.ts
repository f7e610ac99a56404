import { describe, expect, it } from 'vitest';
import { reportRevision } from '../../src/reports/report-revision.js';

const X = 'room1@2026-12-06T08:00:00.000Z';
const d1 = { id: 'd-1', excursionVersion: 1, signedAt: 1_000 };
const d2 = { id: 'd-2', excursionVersion: 2, signedAt: 3_000 };

describe('reportRevision: one report id per revision of the excursion and its decisions', () => {
  it('is the same for the same revision, whenever it is downloaded, and differs between revisions', () => {
    expect(reportRevision(X, 1, []).reportId).toBe(reportRevision(X, 1, []).reportId);
    expect(reportRevision(X, 1, []).reportId).toMatch(/^RPT-[0-9A-F]{12}$/);
    const ids = new Set([
      reportRevision(X, 1, []).reportId,
      reportRevision(X, 2, []).reportId,
      reportRevision(X, 1, [d1]).reportId,
      reportRevision(X, 2, [d1]).reportId,
      reportRevision(`${X}x`, 1, []).reportId,
    ]);
    expect(ids.size).toBe(5);
    // Order of the decisions as given does not matter.
    expect(reportRevision(X, 2, [d2, d1]).reportId).toBe(reportRevision(X, 2, [d1, d2]).reportId);
  });

  it('names the revision it supersedes', () => {
    const first = reportRevision(X, 1, []);
    expect(first.supersedes).toBeNull();
    // A decision on version 1 supersedes version 1 without it.
    const decided = reportRevision(X, 1, [d1]);
    expect(decided.supersedes).toBe(first.reportId);
    // New data (version 2) after that decision supersedes version 1 with the decision.
    const changed = reportRevision(X, 2, [d1]);
    expect(changed.supersedes).toBe(decided.reportId);
    // A decision signed on version 2 supersedes version 2 without it.
    expect(reportRevision(X, 2, [d1, d2]).supersedes).toBe(changed.reportId);
    // Version 2 without decisions supersedes version 1.
    expect(reportRevision(X, 2, []).supersedes).toBe(first.reportId);
  });
});
