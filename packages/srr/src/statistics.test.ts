import { Rng } from '@scale/workload';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { symmetricEigenvalues } from './internal/eigen.js';
import { featureStatistics } from './statistics.js';

describe('featureStatistics: correlation and effective rank', () => {
  it('x and 2x are perfectly correlated and span one direction (hand-computed)', () => {
    // Covariance [[1, 2], [2, 4]]: correlation 1, eigenvalues 0 and 5, so the effective rank is exp(0) = 1.
    const stats = featureStatistics([-1, -2, 0, 0, 1, 2], 2);
    expect(stats.meanAbsCorrelation).toBeCloseTo(1, 12);
    expect(stats.effectiveRank).toBeCloseTo(1, 9);
  });

  it('tells decorrelation from collapse: shrinking the features scales Cov Off-Diag, not the correlation or the rank', () => {
    const rng = new Rng(5);
    const h = Array.from({ length: 400 * 4 }, () => rng.normal(0, 1));
    for (let i = 0; i < 400; i++) h[i * 4 + 1] = (h[i * 4] as number) * 0.8 + (h[i * 4 + 1] as number) * 0.6;
    const base = featureStatistics(h, 4);
    const tiny = featureStatistics(
      h.map((x) => x * 1e-3),
      4,
    );
    expect(tiny.covOffDiagonal).toBeCloseTo(base.covOffDiagonal * 1e-6, 12);
    expect(tiny.meanAbsCorrelation).toBeCloseTo(base.meanAbsCorrelation, 9);
    expect(tiny.effectiveRank).toBeCloseTo(base.effectiveRank, 9);
  });

  it('independent N(0, 1) dimensions have a small correlation and an effective rank near d', () => {
    const rng = new Rng(9);
    const stats = featureStatistics(
      Array.from({ length: 20000 * 8 }, () => rng.normal(0, 1)),
      8,
    );
    expect(stats.meanAbsCorrelation).toBeLessThan(0.02);
    expect(stats.effectiveRank).toBeGreaterThan(7.9);
    expect(stats.effectiveRank).toBeLessThanOrEqual(8 + 1e-9);
  });

  it('a constant feature has no correlation and no rank (NaN), and a diagonal covariance with variances 1 and 3 has rank exp(H(1/4, 3/4))', () => {
    const constant = featureStatistics([1, 1, 1, 1, 1, 1], 2);
    expect(constant.meanAbsCorrelation).toBeNaN();
    expect(constant.effectiveRank).toBeNaN();
    // Rows (±1, 0) and (0, ±sqrt 3) with zero means: variances 2/3 and 2 (ratio 1:3), covariance 0.
    const s3 = Math.sqrt(3);
    const diagonal = featureStatistics([1, 0, -1, 0, 0, s3, 0, -s3], 2);
    expect(diagonal.meanAbsCorrelation).toBeCloseTo(0, 12);
    expect(diagonal.effectiveRank).toBeCloseTo(Math.exp(-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75))), 9);
  });
});

describe('symmetricEigenvalues', () => {
  it('finds the eigenvalues of a hand-computed 2 x 2 and 3 x 3 matrix', () => {
    expect([...symmetricEigenvalues([2, 1, 1, 2], 2)].map((v) => Number(v.toFixed(12)))).toEqual([1, 3]);
    // [[2, -1, 0], [-1, 2, -1], [0, -1, 2]]: 2 - sqrt 2, 2, 2 + sqrt 2.
    const values = symmetricEigenvalues([2, -1, 0, -1, 2, -1, 0, -1, 2], 3);
    expect(values[0]).toBeCloseTo(2 - Math.SQRT2, 12);
    expect(values[1]).toBeCloseTo(2, 12);
    expect(values[2]).toBeCloseTo(2 + Math.SQRT2, 12);
  });

  it('eigenvalues sum to the trace (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1000 }), (d, seed) => {
        const rng = new Rng(seed);
        const m = new Float64Array(d * d);
        for (let i = 0; i < d; i++) for (let j = i; j < d; j++) m[i * d + j] = m[j * d + i] = rng.uniform(-2, 2);
        let trace = 0;
        for (let i = 0; i < d; i++) trace += m[i * d + i] as number;
        const sum = symmetricEigenvalues(m, d).reduce((a, b) => a + b, 0);
        return Math.abs(sum - trace) < 1e-9;
      }),
    );
  });
});
