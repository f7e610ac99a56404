import { createHash } from 'node:crypto';

/** A decision as the report's revision sees it. */
export interface RevisionDecision {
  id: string;
  /** The excursion version it was signed for. */
  excursionVersion?: number | undefined;
  signedAt: number;
}

const idOf = (excursionId: string, version: number, decisionIds: readonly string[]) =>
  `RPT-${createHash('sha256')
    .update(`${excursionId}\nv${version}\n${[...decisionIds].sort().join(',')}`)
    .digest('hex')
    .slice(0, 12)
    .toUpperCase()}`;

/**
 * The report's id, stable per revision of what it reports: the excursion's version and the decisions signed
 * on it (downloading twice gives the same id; new data or a new decision gives a new one), and the id of the
 * revision it supersedes: before the latest decision when that was signed on this version, else the
 * previous version with the decisions signed up to it. Null for the first revision.
 */
export function reportRevision(
  excursionId: string,
  version: number,
  decisions: readonly RevisionDecision[],
): { reportId: string; supersedes: string | null } {
  const sorted = [...decisions].sort((a, b) => a.signedAt - b.signedAt || (a.id < b.id ? -1 : 1));
  const reportId = idOf(
    excursionId,
    version,
    sorted.map((d) => d.id),
  );
  const last = sorted.at(-1);
  if (last && (last.excursionVersion ?? version) >= version)
    return {
      reportId,
      supersedes: idOf(
        excursionId,
        version,
        sorted.slice(0, -1).map((d) => d.id),
      ),
    };
  if (version <= 1) return { reportId, supersedes: null };
  const earlier = sorted.filter((d) => (d.excursionVersion ?? version) <= version - 1).map((d) => d.id);
  return { reportId, supersedes: idOf(excursionId, version - 1, earlier) };
}
