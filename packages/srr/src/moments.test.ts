import * as tf from '@tensorflow/tfjs';
import { Rng } from '@scale/workload';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { combineMoments, momentsOf, srrGradient } from './moments.js';
import { resolveSrrConfig, srrLoss } from './srr.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const batch = (seed: number, rows: number, dim: number): Float32Array => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * dim }, (_, i) => rng.normal(0.5 * (i % dim) - 1, 1 + (i % 3)));
};

/** |a - b| within a relative tolerance of b (absolute near zero). */
const close = (a: number, b: number, tolerance: number) => Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b));

describe('feature moments', () => {
  it('of a small batch, by hand', () => {
    const m = momentsOf([1, 2, 3, 6], 2, 2);
    expect(m.count).toBe(2);
    expect(Array.from(m.mean)).toEqual([2, 4]);
    expect(Array.from(m.m2)).toEqual([2, 4, 4, 8]);
  });

  it('combine like the moments of the concatenated batch, for any split', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 1000 }), (rowsA, rowsB, seed) => {
        const dim = 3;
        const a = batch(seed, rowsA, dim);
        const b = batch(seed + 1, rowsB, dim);
        const whole = new Float32Array(a.length + b.length);
        whole.set(a);
        whole.set(b, a.length);
        const combined = combineMoments(momentsOf(a, rowsA, dim), momentsOf(b, rowsB, dim));
        const expected = momentsOf(whole, rowsA + rowsB, dim);
        expect(combined.count).toBe(rowsA + rowsB);
        for (let k = 0; k < dim; k++) expect(combined.mean[k]).toBeCloseTo(expected.mean[k] as number, 9);
        for (let k = 0; k < dim * dim; k++) expect(combined.m2[k]).toBeCloseTo(expected.m2[k] as number, 7);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects mismatched dimensions and sizes', () => {
    const a = momentsOf(batch(1, 4, 2), 4, 2);
    const b = momentsOf(batch(2, 4, 3), 4, 3);
    expect(() => combineMoments(a, b)).toThrow(/2-dimensional moments, received 2 and 3/);
    expect(() => momentsOf([1, 2, 3], 2, 2)).toThrow('features: expected 2 x 2 = 4 values, got 3');
    expect(() => srrGradient([1, 2], 1, momentsOf([1, 2], 1, 2), 60, resolveSrrConfig())).toThrow(/at least 2 feature rows, got 1/);
  });
});

describe('srrGradient', () => {
  it("equals srrLoss and tfjs autodiff's gradient of it, for any batch and epoch", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 1000 }), (rows, dim, epoch, seed) => {
        const config = resolveSrrConfig();
        const h = batch(seed, rows, dim);
        const ours = srrGradient(h, rows, momentsOf(h, rows, dim), epoch, config);
        const x = tf.tensor2d(h, [rows, dim]);
        const loss = srrLoss(x, epoch, config);
        const theirs = tf.grad((v: tf.Tensor) => srrLoss(v as tf.Tensor2D, epoch, config).total)(x);
        expect(ours.weight).toBe(loss.weight);
        expect(close(ours.decorrelation, loss.decorrelation.dataSync()[0] as number, 1e-4)).toBe(true);
        expect(close(ours.kl, loss.kl.dataSync()[0] as number, 1e-4)).toBe(true);
        expect(close(ours.total, loss.total.dataSync()[0] as number, 1e-4)).toBe(true);
        const expected = theirs.dataSync();
        let scale = 0;
        for (const v of expected) scale = Math.max(scale, Math.abs(v));
        for (let i = 0; i < expected.length; i++) expect(Math.abs((ours.gradient[i] as number) - (expected[i] as number))).toBeLessThanOrEqual(1e-4 * scale + 1e-9);
        tf.dispose([x, loss.total, loss.decorrelation, loss.kl, theirs]);
      }),
      { numRuns: 60, seed: 5 },
    );
  });

  it("gives each shard, from the pooled moments, the whole batch's loss and its own rows of the gradient", () => {
    const dim = 8;
    const config = resolveSrrConfig();
    const whole = batch(7, 48, dim);
    const epoch = 40;
    const full = srrGradient(whole, 48, momentsOf(whole, 48, dim), epoch, config);
    let scale = 0;
    for (const v of full.gradient) scale = Math.max(scale, Math.abs(v));
    const bounds = [0, 20, 35, 48];
    const parts = bounds.slice(0, -1).map((from, s) => whole.subarray(from * dim, (bounds[s + 1] as number) * dim));
    const moments = parts.map((part) => momentsOf(part, part.length / dim, dim));
    parts.forEach((part, index) => {
      // This shard's moments first, then the others' in shard order: what a thread computes.
      const pooled = moments.filter((_, j) => j !== index).reduce((acc, m) => combineMoments(acc, m), moments[index] as (typeof moments)[number]);
      const ours = srrGradient(part, part.length / dim, pooled, epoch, config);
      expect(close(ours.total, full.total, 1e-9)).toBe(true);
      const offset = (bounds[index] as number) * dim;
      for (let i = 0; i < part.length; i++) expect(Math.abs((ours.gradient[i] as number) - (full.gradient[offset + i] as number))).toBeLessThanOrEqual(1e-6 * scale);
    });
  });
});
