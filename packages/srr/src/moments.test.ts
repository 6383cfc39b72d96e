import * as tf from '@tensorflow/tfjs';
import { Rng } from '@scale/workload';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type MomentsData, combineMoments, featureMoments, momentsData, poolMoments, srrLossFromMoments } from './moments.js';
import { resolveSrrConfig, srrLoss } from './srr.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const batch = (seed: number, rows: number, dim: number): Float32Array => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * dim }, (_, i) => rng.normal(0.5 * (i % dim) - 1, 1 + (i % 3)));
};

/** Float64 moments of a row-major batch, two-pass. */
function directMoments(h: Float32Array, dim: number): MomentsData {
  const count = h.length / dim;
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let k = 0; k < dim; k++) mean[k]! += h[i * dim + k]! / count;
  const m2 = new Float64Array(dim * dim);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < dim; k++) for (let l = 0; l < dim; l++) m2[k * dim + l]! += (h[i * dim + k]! - mean[k]!) * (h[i * dim + l]! - mean[l]!);
  }
  return { count, mean, m2 };
}

describe('feature moments', () => {
  it('combine like the moments of the concatenated batch, for any split', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 1000 }), (rowsA, rowsB, seed) => {
        const dim = 3;
        const a = batch(seed, rowsA, dim);
        const b = batch(seed + 1, rowsB, dim);
        const whole = new Float32Array(a.length + b.length);
        whole.set(a);
        whole.set(b, a.length);
        const combined = combineMoments(directMoments(a, dim), directMoments(b, dim));
        const expected = directMoments(whole, dim);
        expect(combined.count).toBe(rowsA + rowsB);
        for (let k = 0; k < dim; k++) expect(combined.mean[k]).toBeCloseTo(expected.mean[k] as number, 9);
        for (let k = 0; k < dim * dim; k++) expect(combined.m2[k]).toBeCloseTo(expected.m2[k] as number, 7);
      }),
      { numRuns: 50 },
    );
  });

  it('give a pooled SRR loss equal to srrLoss on the whole batch, and each shard its rows of the gradient', () => {
    const dim = 8;
    const config = resolveSrrConfig();
    const whole = batch(7, 48, dim);
    const shards = [whole.subarray(0, 20 * dim), whole.subarray(20 * dim, 35 * dim), whole.subarray(35 * dim)];
    const epoch = 40;
    const fullLoss = tf.tidy(() => srrLoss(tf.tensor2d(whole, [48, dim]), epoch, config).total.dataSync()[0] as number);
    const fullGrad = tf.tidy(() => tf.grad((x: tf.Tensor) => srrLoss(x as tf.Tensor2D, epoch, config).total)(tf.tensor2d(whole, [48, dim])).dataSync());
    const data = shards.map((s) => {
      const features = tf.tensor2d(s, [s.length / dim, dim]);
      const moments = featureMoments(features);
      const read = momentsData(moments);
      tf.dispose([features, moments.mean, moments.m2]);
      return read;
    });
    let offset = 0;
    shards.forEach((shard, index) => {
      // The other shards' moments, combined in shard order: what a thread receives.
      const remote = data.filter((_, j) => j !== index).reduce((acc, m) => combineMoments(acc, m));
      const rows = shard.length / dim;
      const lossOf = (x: tf.Tensor) => srrLossFromMoments(poolMoments(featureMoments(x as tf.Tensor2D), remote), epoch, config).total;
      const loss = tf.tidy(() => lossOf(tf.tensor2d(shard, [rows, dim])).dataSync()[0] as number);
      expect(loss).toBeCloseTo(fullLoss, 4);
      const grad = tf.tidy(() => tf.grad(lossOf)(tf.tensor2d(shard, [rows, dim])).dataSync());
      for (let i = 0; i < grad.length; i++) {
        const expected = fullGrad[offset + i] as number;
        expect(Math.abs((grad[i] as number) - expected)).toBeLessThan(1e-4 * Math.max(1e-2, Math.abs(expected)) + 1e-7);
      }
      offset += shard.length;
    });
  });

  it('rejects mismatched dimensions', () => {
    const a = directMoments(batch(1, 4, 2), 2);
    const b = directMoments(batch(2, 4, 3), 3);
    expect(() => combineMoments(a, b)).toThrow(/2-dimensional moments, received 2 and 3/);
  });
});
