import { type Clock, errorMessage } from '@coldtrace/shared';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { ExcursionEvaluator } from '../engine/excursion-evaluator.js';
import { heartbeatNode, nodesDb, removeNode } from '../store/cloud-nodes.js';
import type { CloudModule } from './cloud-module.js';

/**
 * Age after which a mark without owner (SQLite; one from before migration 0029), or one of this node's own,
 * counts as left behind (periodic sweep on the data clock).
 */
const MARK_SWEEP_AGE_MS = 120_000;

/** Default period of the node heartbeat and of the sweep for dead nodes' marks (config `nodeHeartbeatMs`). */
export const DEFAULT_NODE_HEARTBEAT_MS = 5_000;

export interface EvaluationModuleOptions {
  evaluator: ExcursionEvaluator;
  /** The data clock: mark ages. */
  clock: Clock;
  /** Liveness is real time: the heartbeat and the sweep for dead nodes' marks run on it. */
  wallClock: Clock;
  log: Logger;
  /** Heartbeat period (default 5 s): the others take this node's marks after 3 periods without one. */
  nodeHeartbeatMs?: number | undefined;
  registry?: Registry | undefined;
}

/**
 * Evaluation (docs/architecture.md "Evaluation marks", "Recovery"; docs/operations.md "Evaluation marks of
 * a cloud that died"): at start, the marks a process that died left behind are marked dirty before ingest
 * starts, those of dead nodes taken over first (recomputed while serving, long windows in chunks; `/readyz`
 * says "recovering" until done), as is
 * every location a lock rule watches by configuration (it may have changed). While running, the node
 * heartbeats its `cloud_nodes` row and, as often, takes over the marks of nodes that stopped heartbeating
 * (a cloud that died between committing and evaluating, PostgreSQL); a slower sweep picks up marks without
 * owner. Every rule's pending work is in those marks. Stop finishes the work already marked, except a long
 * window's remaining chunks, then removes the node's row: another cloud takes what it left at once (its
 * next start, on SQLite).
 */
export function evaluationModule(o: EvaluationModuleOptions): CloudModule {
  const engine = o.evaluator.engine;
  const { dialect, nodeId } = engine.store.opened;
  const db = nodesDb(engine.db);
  const heartbeatMs = o.nodeHeartbeatMs ?? DEFAULT_NODE_HEARTBEAT_MS;
  const reg = o.registry ? [o.registry] : [];
  const taken = new Counter({
    name: 'coldtrace_evaluation_dead_node_marks_claimed_total',
    help: 'Evaluation marks of dead cloud nodes (stopped heartbeating or gone) this cloud took over and evaluated',
    registers: reg,
  });
  const sweeps = new Counter({
    name: 'coldtrace_evaluation_dead_node_sweeps_total',
    help: 'Sweeps for evaluation marks of dead cloud nodes run (every heartbeat period)',
    registers: reg,
  });
  const timers: Array<ReturnType<Clock['setInterval']>> = [];
  const wallTimers: Array<ReturnType<Clock['setInterval']>> = [];
  let beating: Promise<void> | undefined;
  let sweeping: Promise<void> | undefined;
  const beat = () => {
    // One at a time: beats do not pile up on a database that does not answer.
    beating ??= heartbeatNode(db, dialect, nodeId, heartbeatMs)
      .catch((err) =>
        // The others take this node's marks after 3 missed beats: evaluated twice at worst, never lost.
        o.log.warn({ err: errorMessage(err) }, 'cloud node heartbeat failed'),
      )
      .finally(() => {
        beating = undefined;
      });
  };
  const sweepDead = () => {
    // One at a time: a sweep slower than the period (a busy database) is not stacked.
    sweeping ??= engine
      .recoverDeadNodeMarks()
      .then((r) => {
        sweeps.inc();
        if (r.marks > 0) taken.inc(r.marks);
      })
      .catch((err) => o.log.warn({ err: errorMessage(err) }, 'sweep for dead nodes’ evaluation marks failed'))
      .finally(() => {
        sweeping = undefined;
      });
  };
  return {
    name: 'evaluation',
    required: true,
    async start() {
      // The row exists before this node writes any mark (ingest starts after this module).
      await heartbeatNode(db, dialect, nodeId, heartbeatMs);
      try {
        // Dead nodes' marks are taken over first and recovered with the rest: the sweep finds none of them.
        const found = await engine.recoverMarks({ atStart: true });
        if (found.taken > 0) taken.inc(found.taken);
      } catch (err) {
        // A start that fails leaves no row behind (the cloud does not start).
        await removeNode(db, nodeId).catch(() => {});
        throw err;
      }
      engine.markRuleLocations();
      wallTimers.push(o.wallClock.setInterval(beat, heartbeatMs));
      wallTimers.push(o.wallClock.setInterval(sweepDead, heartbeatMs));
      timers.push(
        o.clock.setInterval(() => {
          engine
            .recoverMarks({ createdBefore: o.clock.now() - MARK_SWEEP_AGE_MS, ownedBy: nodeId })
            .catch((err) => o.log.warn({ err }, 'evaluation mark sweep failed'));
        }, MARK_SWEEP_AGE_MS),
      );
    },
    async stop() {
      for (const t of timers.splice(0)) o.clock.clearInterval(t);
      for (const t of wallTimers.splice(0)) o.wallClock.clearInterval(t);
      await sweeping;
      await o.evaluator.close();
      await o.evaluator.flush().catch(() => {});
      await beating;
      await removeNode(db, nodeId).catch((err) =>
        o.log.warn(
          { err: errorMessage(err) },
          'removing the cloud node row failed (others wait 3 heartbeats)',
        ),
      );
    },
  };
}
