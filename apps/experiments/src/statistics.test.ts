import fc from 'fast-check';
import { expect, it, describe as suite } from 'vitest';
import { BootstrapShapeError, bootstrap, describe, flatten, interquartileMean, mean, probabilityOfImprovement, type SeedEpisodeValues } from './statistics.js';

const meanOfSample = (k: number) => (rows: readonly SeedEpisodeValues[]) => mean(flatten(rows[k] as SeedEpisodeValues));
/** An interval of zero width at `value`, to rounding. */
function expectPoint(estimate: { value: number; low: number; high: number }, value: number): void {
  expect(estimate.value).toBeCloseTo(value, 12);
  expect(estimate.low).toBeCloseTo(value, 12);
  expect(estimate.high).toBeCloseTo(value, 12);
}

const finite = fc.double({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true });

suite('interquartileMean', () => {
  it('drops floor(n / 4) values at each end (hand-computed)', () => {
    expect(interquartileMean([8, 1, 7, 2, 6, 3, 5, 4])).toBe(4.5);
    expect(interquartileMean([1, 2, 3, 100])).toBe(2.5);
    expect(interquartileMean([5, 1, 3])).toBe(3);
    expect(interquartileMean([])).toBeNaN();
  });

  it('of a constant is that constant (property)', () => {
    fc.assert(fc.property(finite, fc.integer({ min: 1, max: 40 }), (c, n) => Math.abs(interquartileMean(new Array(n).fill(c)) - c) <= 1e-12 * Math.abs(c)));
  });
});

suite('probabilityOfImprovement', () => {
  it('counts wins of the first (lower is better) on each episode, ties half, over every pair of seeds (hand-computed)', () => {
    expect(probabilityOfImprovement([[1, 1]], [[2, 1]])).toBe(0.75);
    expect(probabilityOfImprovement([[1, 2]], [[2, 1]])).toBe(0.5);
    // Episode 0: (1 vs 2) win, (1 vs 0) loss, for both seeds of A: 1/2. Episode 1: 3 vs 4 and 3 vs 5: 1.
    expect(
      probabilityOfImprovement(
        [
          [1, 3],
          [1, 3],
        ],
        [
          [2, 4],
          [0, 5],
        ],
      ),
    ).toBe(0.75);
  });

  it('is 0.5 for identical samples and complements when swapped (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(finite, { minLength: 1, maxLength: 8 }), fc.array(finite, { minLength: 8, maxLength: 8 }), (seeds, episodes, other) => {
        const a = Array.from({ length: seeds }, (_, s) => episodes.map((x) => x + s));
        const b = Array.from({ length: seeds }, (_, s) => episodes.map((_, e) => (other[e] as number) - s));
        return Math.abs(probabilityOfImprovement(a, a) - 0.5) < 1e-12 && Math.abs(probabilityOfImprovement(a, b) + probabilityOfImprovement(b, a) - 1) < 1e-12;
      }),
    );
  });
});

suite('bootstrap', () => {
  it('resamples training seeds at the first level: two constant seeds give the exact interval [0, 1]', () => {
    // Replicate means are 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4.
    const estimate = bootstrap(
      [
        [
          [0, 0, 0],
          [1, 1, 1],
        ],
      ],
      meanOfSample(0),
    );
    expect(estimate).toEqual({ value: 0.5, low: 0, high: 1 });
  });

  it('has one level (episodes) for one seed, and a constant sample has a zero-width interval', () => {
    expect(bootstrap([[[2, 2, 2, 2]]], meanOfSample(0))).toEqual({ value: 2, low: 2, high: 2 });
    const oneSeed = bootstrap([[[0, 10]]], meanOfSample(0), { replicates: 4000 });
    expect(oneSeed.value).toBe(5);
    expect(oneSeed.low).toBe(0);
    expect(oneSeed.high).toBe(10);
  });

  it('pairs samples by seed and by episode: a constant per-episode offset has a zero-width interval however noisy the episodes', () => {
    const b = [
      [3, 9, 1, 7],
      [4, 2, 8, 6],
      [5, 5, 0, 9],
    ];
    const a = b.map((row) => row.map((x) => x + 1));
    expectPoint(bootstrap([a, b], (rows) => meanOfSample(0)(rows) - meanOfSample(1)(rows)), 1);
    // A heuristic (one row) pairs with every drawn seed on the same episodes.
    const heuristic = [[3, 9, 1, 7]];
    const learned = [
      [2, 8, 0, 6],
      [2, 8, 0, 6],
    ];
    expectPoint(bootstrap([heuristic, learned], (rows) => meanOfSample(0)(rows) - meanOfSample(1)(rows)), 1);
  });

  it('is deterministic: the same seed gives the same interval, another seed another draw', () => {
    const sample = [
      [1.3, 5.1, 2.7, 8.2, 3.9, 0.4, 7.7],
      [2.2, 2.6, 9.1, 4.4, 1.8, 6.3, 0.9],
    ];
    const first = bootstrap([sample], meanOfSample(0));
    expect(bootstrap([sample], meanOfSample(0))).toEqual(first);
    expect(bootstrap([sample], meanOfSample(0), { seed: 7 })).not.toEqual(first);
  });

  it('refuses samples that do not share one seeds x episodes layout, naming the sample', () => {
    expect(() => bootstrap([[[1, 2]], [[1, 2, 3]]], meanOfSample(0))).toThrow(BootstrapShapeError);
    expect(() =>
      bootstrap(
        [
          [[1], [2]],
          [[1], [2], [3]],
        ],
        meanOfSample(0),
      ),
    ).toThrow(/samples\[1\]: expected 1 or 2 seeds, got 3/);
  });

  it('the 95% interval of the mean and of the IQM contains the point estimate (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 10 }), fc.array(finite, { minLength: 40, maxLength: 40 }), (seeds, episodes, pool) => {
        const values = Array.from({ length: seeds }, (_, s) => Array.from({ length: episodes }, (_, e) => pool[(s * episodes + e) % pool.length] as number));
        const { mean: m, iqm } = describe(values, { replicates: 200 });
        const tolerance = 1e-9 * (1 + Math.max(...pool.map(Math.abs)));
        return m.low <= m.value + tolerance && m.value <= m.high + tolerance && iqm.low <= iqm.value + tolerance && iqm.value <= iqm.high + tolerance;
      }),
      { numRuns: 200 },
    );
  });
});
