import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  claimableMarks,
  deadOwners,
  MISSED_HEARTBEATS,
  type NodeBeat,
} from '../../src/domain/node-liveness.js';

const NOW = 1_000_000;
const beat = (id: string, ageMs: number, heartbeatMs = 5_000): NodeBeat => ({
  id,
  heartbeatAt: NOW - ageMs,
  heartbeatMs,
});

describe('dead owners of evaluation marks (node liveness)', () => {
  it('an owner whose heartbeat is older than 3 of its periods is dead; at exactly 3 it is alive', () => {
    const nodes = [beat('live', 15_000), beat('dead', 15_001)];
    expect(deadOwners({ owners: ['live', 'dead'], nodes, self: 'me', now: NOW })).toEqual(['dead']);
  });

  it('an owner without a row (stopped cleanly, a CLI command, removed as dead) is dead at once', () => {
    expect(deadOwners({ owners: ['gone'], nodes: [beat('other', 0)], self: 'me', now: NOW })).toEqual([
      'gone',
    ]);
  });

  it('its own marks are never dead to a node, even without a row or with a stale heartbeat', () => {
    expect(deadOwners({ owners: ['me'], nodes: [], self: 'me', now: NOW })).toEqual([]);
    expect(deadOwners({ owners: ['me'], nodes: [beat('me', 3_600_000)], self: 'me', now: NOW })).toEqual([]);
  });

  it("each node is judged by its own heartbeat period, not the decider's", () => {
    // 40 s without a heartbeat: dead for a node beating every 5 s, alive for one beating every 20 s.
    const nodes = [beat('fast', 40_000, 5_000), beat('slow', 40_000, 20_000)];
    expect(deadOwners({ owners: ['fast', 'slow'], nodes, self: 'me', now: NOW })).toEqual(['fast']);
  });

  it('a heartbeat written after the decider read its clock (negative age) is alive', () => {
    expect(deadOwners({ owners: ['a'], nodes: [beat('a', -50)], self: 'me', now: NOW })).toEqual([]);
  });

  it('claimable marks: those of dead owners only, never a null owner (the age-based sweep takes those)', () => {
    const nodes = [beat('live', 1_000), beat('dead', 60_000)];
    const marks = [
      { id: 1, owner: 'live' },
      { id: 2, owner: 'dead' },
      { id: 3, owner: null },
      { id: 4, owner: 'me' },
      { id: 5, owner: 'gone' },
      { id: 6, owner: 'dead' },
    ];
    expect(claimableMarks(marks, nodes, 'me', NOW)).toEqual([2, 5, 6]);
  });

  it('property: a mark is claimable exactly when its owner is another node that is absent or overdue', () => {
    const ids = ['a', 'b', 'c', 'd'];
    fc.assert(
      fc.property(
        fc.array(fc.record({ owner: fc.option(fc.constantFrom(...ids)) }), { maxLength: 12 }),
        fc.array(
          fc.record({
            id: fc.constantFrom(...ids),
            age: fc.integer({ min: -1_000, max: 200_000 }),
            period: fc.integer({ min: 100, max: 30_000 }),
          }),
          { maxLength: 4 },
        ),
        fc.constantFrom(...ids),
        (markOwners, rows, self) => {
          // One row per node id (the table's primary key).
          const nodes = [...new Map(rows.map((r) => [r.id, beat(r.id, r.age, r.period)])).values()];
          const marks = markOwners.map((m, i) => ({ id: i, owner: m.owner }));
          const got = new Set(claimableMarks(marks, nodes, self, NOW));
          for (const m of marks) {
            const n = nodes.find((x) => x.id === m.owner);
            const expected =
              m.owner !== null &&
              m.owner !== self &&
              (!n || NOW - n.heartbeatAt > MISSED_HEARTBEATS * n.heartbeatMs);
            expect(got.has(m.id)).toBe(expected);
          }
        },
      ),
    );
  });
});
