import { Rng } from '@scale/workload';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actionCount, batchActionIndex, batchActions, batchObservations, observationActionIndex } from './batch.js';
import { randomCandidateObservation, randomObservation } from './internal/test-utils.js';

describe('batch action layout', () => {
  it('a paper batch has none of the new fields and the paper layout (column j = server j)', () => {
    const rng = new Rng(1);
    const batch = batchObservations([randomObservation(rng, 3), randomObservation(rng, 5)]);
    expect(Object.keys(batch).sort()).toEqual(['counts', 'mask', 'n', 'present', 'servers', 'size', 'task']);
    expect(batch.mask).toHaveLength(10);
    expect(batchActionIndex(batch, 0, 2)).toBe(2);
    expect(observationActionIndex(batch, 1, 4)).toBe(4);
  });

  it('observation actions and batch columns convert both ways, and the mask follows them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.integer(),
        (shapes, defer, seed) => {
          const rng = new Rng(seed);
          const observations = shapes.map(([n, k]) => randomCandidateObservation(rng, n, k, { defer }));
          const batch = batchObservations(observations);
          const width = batch.actions as number;
          expect(width).toBe(actionCount(batch.k as number, batch.n, defer));
          observations.forEach((obs, row) => {
            const own = actionCount(obs.k as number, obs.n, defer);
            const seen = new Set<number>();
            for (let a = 0; a < own; a++) {
              const column = batchActionIndex(batch, row, a);
              expect(column).toBeGreaterThanOrEqual(0);
              expect(column).toBeLessThan(width);
              expect(observationActionIndex(batch, row, column)).toBe(a);
              expect(batch.mask[row * width + column]).toBe(obs.mask[a]);
              seen.add(column);
            }
            expect(seen.size).toBe(own);
            if (defer) expect(batchActionIndex(batch, row, own - 1)).toBe(width - 1);
            // Every other column of the row is padding, masked.
            for (let column = 0; column < width; column++) if (!seen.has(column)) expect(batch.mask[row * width + column]).toBe(0);
          });
          const actions = observations.map((obs) => Math.floor(rng.next() * actionCount(obs.k as number, obs.n, defer)));
          const columns = batchActions(batch, actions);
          columns.forEach((column, row) => {
            expect(observationActionIndex(batch, row, column)).toBe(actions[row]);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('out-of-range actions and padded columns are refused with the allowed range', () => {
    const rng = new Rng(2);
    const batch = batchObservations([randomCandidateObservation(rng, 2, 1), randomCandidateObservation(rng, 3, 2)]);
    expect(() => batchActionIndex(batch, 0, 2)).toThrow(/action: expected an integer in \[0, 1\] for row 0, received 2/);
    expect(() => observationActionIndex(batch, 0, 3)).toThrow(/column: expected a real action of row 0 \(candidate < 1, server < 2\), received 3/);
    expect(() => batchActions(batch, [0])).toThrow(/actions: expected 2 values/);
    expect(() => batchActionIndex(batch, 2, 0)).toThrow(/row: expected an integer in \[0, 1\], received 2/);
  });
});
