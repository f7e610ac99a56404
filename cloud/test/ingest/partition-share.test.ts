import { describe, expect, it } from 'vitest';
import { partitionsToYield } from '../../src/ingest/partition-share.js';

describe('partitionsToYield', () => {
  it('keeps everything while it is the only consumer', () => {
    expect(partitionsToYield(['q0', 'q1', 'q2', 'q3'], 4, 1)).toEqual([]);
    expect(partitionsToYield(['q0', 'q1', 'q2', 'q3'], 4, 0)).toEqual([]);
  });

  it('gives up the busy partitions above ceil(partitions / consumers), the last ones', () => {
    expect(partitionsToYield(['q0', 'q1', 'q2', 'q3'], 4, 2)).toEqual(['q2', 'q3']);
    expect(partitionsToYield(['q0', 'q1', 'q2', 'q3'], 4, 3)).toEqual(['q2', 'q3']);
    expect(partitionsToYield(['q1', 'q3'], 4, 3)).toEqual([]);
    expect(partitionsToYield(['q0', 'q1', 'q2'], 8, 3)).toEqual([]);
    expect(partitionsToYield(['q0', 'q1', 'q2', 'q3'], 8, 3)).toEqual(['q3']);
  });

  it('converges: shares handed on down the line end within one of each other', () => {
    // Single active consumer: a yielded partition goes to the next consumer in line, the yielder goes last.
    for (const [partitions, consumers] of [
      [4, 2],
      [6, 3],
      [8, 3],
      [4, 3],
      [12, 5],
    ] as const) {
      const active = Array.from({ length: partitions }, () => 0);
      const line = Array.from({ length: partitions }, () => Array.from({ length: consumers }, (_, i) => i));
      for (let round = 0; round < 20; round++) {
        for (let c = 0; c < consumers; c++) {
          const mine = active.flatMap((a, q) => (a === c ? [q] : []));
          for (const q of partitionsToYield(mine, partitions, consumers)) {
            line[q] = [...line[q]!.filter((x) => x !== c), c];
            active[q] = line[q]![0]!;
          }
        }
      }
      const counts = Array.from({ length: consumers }, (_, c) => active.filter((a) => a === c).length);
      expect(Math.max(...counts), `${partitions} over ${consumers}: ${counts}`).toBeLessThanOrEqual(
        Math.ceil(partitions / consumers),
      );
    }
  });
});
