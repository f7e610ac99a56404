/**
 * Which cloud processes ("nodes") are dead, for the evaluation marks they own (docs/operations.md
 * "Evaluation marks of a cloud that died", migration 0029). Every cloud on a store heartbeats its row in
 * `cloud_nodes` and every mark it writes carries its node id; a mark whose owner stopped heartbeating was
 * committed but will never be evaluated by its owner, so another cloud takes it over at once instead of
 * waiting for the age-based sweep. Pure: plain data in, plain data out.
 */

/** Heartbeats a node may miss before the others take its marks. */
export const MISSED_HEARTBEATS = 3;

/** A node's row as read from `cloud_nodes` (times on the database's clock, epoch ms). */
export interface NodeBeat {
  id: string;
  heartbeatAt: number;
  /** The node's own heartbeat period: each node is judged by the period it promised. */
  heartbeatMs: number;
}

export interface LivenessInput {
  /**
   * The node ids to judge: the owners of the marks present (null owners are not decided here: the
   * age-based sweep) and the nodes' rows (a dead node's row is removed even when it left no marks).
   */
  owners: readonly string[];
  nodes: readonly NodeBeat[];
  /** The deciding node: its own marks are never dead to itself (it evaluates them, or its start does). */
  self: string;
  /** The database's clock now, as the heartbeats were written on it (no skew between machines). */
  now: number;
}

/**
 * The owners whose marks are claimable now: not `self`, and either without a row (it stopped cleanly,
 * was never a cloud, e.g. a CLI command, or its row was removed as dead) or with a heartbeat older than
 * `MISSED_HEARTBEATS` of its own periods. A live node's marks are never claimable: it evaluates them.
 */
export function deadOwners(input: LivenessInput): string[] {
  const byId = new Map(input.nodes.map((n) => [n.id, n]));
  const dead: string[] = [];
  for (const owner of new Set(input.owners)) {
    if (owner === input.self) continue;
    const n = byId.get(owner);
    if (!n || input.now - n.heartbeatAt > MISSED_HEARTBEATS * n.heartbeatMs) dead.push(owner);
  }
  return dead.sort();
}

/** The ids of the marks claimable now (see `deadOwners`); a mark without owner is never claimable here. */
export function claimableMarks(
  marks: ReadonlyArray<{ id: number; owner: string | null }>,
  nodes: readonly NodeBeat[],
  self: string,
  now: number,
): number[] {
  const owners = marks.flatMap((m) => (m.owner === null ? [] : [m.owner]));
  const dead = new Set(deadOwners({ owners, nodes, self, now }));
  return marks.filter((m) => m.owner !== null && dead.has(m.owner)).map((m) => m.id);
}
