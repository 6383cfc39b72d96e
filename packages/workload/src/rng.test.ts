import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

const draw = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.nextUint32());

describe('Rng', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (seed) => {
        expect(draw(new Rng(seed), 20)).toEqual(draw(new Rng(seed), 20));
        expect(draw(new Rng(seed), 20)).not.toEqual(draw(new Rng(seed + 1), 20));
      }),
    );
  });

  it('gives child streams that depend only on the seed and label, not on parent draws', () => {
    const fresh = new Rng(42);
    const used = new Rng(42);
    draw(used, 1000);
    expect(draw(used.child('arrivals'), 10)).toEqual(draw(fresh.child('arrivals'), 10));
    expect(draw(fresh.child('arrivals'), 10)).not.toEqual(draw(fresh.child('shape'), 10));
    expect(draw(fresh.child('a').child('b'), 5)).toEqual(draw(new Rng(42).child('a').child('b'), 5));
    expect(draw(fresh.child(1), 5)).not.toEqual(draw(fresh.child(2), 5));
  });

  it('restores its exact state from a checkpoint', () => {
    const rng = new Rng(7);
    draw(rng, 123);
    const state = rng.getState();
    const expected = draw(rng, 50);
    const restored = Rng.fromState(JSON.parse(JSON.stringify(state)));
    expect(draw(restored, 50)).toEqual(expected);
    expect(draw(restored.child('x'), 5)).toEqual(draw(new Rng(7).child('x'), 5));
  });

  it('draws integers uniformly inside [lo, hi] and floats in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 50 }), fc.nat(), (lo, span, seed) => {
        const rng = new Rng(seed);
        for (let i = 0; i < 50; i++) {
          const x = rng.int(lo, lo + span);
          expect(Number.isInteger(x) && x >= lo && x <= lo + span).toBe(true);
          const u = rng.next();
          expect(u >= 0 && u < 1).toBe(true);
        }
      }),
    );
    const rng = new Rng(1);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.int(0, 5)]! += 1;
    const chi2 = counts.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(20.5); // 0.999 quantile of chi-square with 5 degrees of freedom
  });

  it('has the moments of its distributions (fixed seed, 200k draws)', () => {
    const rng = new Rng(2024);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    let expSum = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal(4, 2);
      sum += z;
      sq += z * z;
      expSum += rng.exponential(0.5);
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(4, 1);
    expect(Math.sqrt(sq / n - mean * mean)).toBeCloseTo(2, 1);
    expect(expSum / n).toBeCloseTo(0.5, 2);
  });

  it('samples distinct values and shuffles to a permutation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(), (n, seed) => {
        const rng = new Rng(seed);
        const k = rng.int(0, n);
        const sample = rng.sampleDistinct(n, k);
        expect(new Set(sample).size).toBe(k);
        expect(sample.every((x) => x >= 0 && x < n)).toBe(true);
        expect(rng.shuffle(Array.from({ length: n }, (_, i) => i)).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
    );
  });

  it('rejects a seed that is not a safe integer, naming the field', () => {
    expect(() => new Rng(1.5)).toThrow(/seed: expected a safe integer, received 1.5/);
    expect(() => new Rng(Number.NaN)).toThrow(/seed/);
  });
});
