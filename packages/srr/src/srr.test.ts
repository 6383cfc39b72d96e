import * as tf from '@tensorflow/tfjs';
import { Rng } from '@scale/workload';
import { beforeAll, describe, expect, it } from 'vitest';
import { decorrelationLoss, klToStandardNormalLoss, VARIANCE_EPSILON } from './losses.js';
import { resolveSrrConfig, srrLoss, srrWeight } from './srr.js';
import { featureStatistics } from './statistics.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Float64 reference of both terms, straight from the paper's formulas. */
function reference(h: Float64Array, batch: number, dim: number): { decor: number; kl: number } {
  const mean = new Float64Array(dim);
  for (let i = 0; i < batch; i++) for (let k = 0; k < dim; k++) mean[k]! += h[i * dim + k]! / batch;
  const cov = (k: number, l: number): number => {
    let s = 0;
    for (let i = 0; i < batch; i++) s += (h[i * dim + k]! - mean[k]!) * (h[i * dim + l]! - mean[l]!);
    return s / (batch - 1);
  };
  let decor = 0;
  let kl = 0;
  for (let k = 0; k < dim; k++) {
    for (let l = 0; l < dim; l++) if (k !== l) decor += cov(k, l) ** 2;
    const v = cov(k, k);
    kl += 0.5 * (v + mean[k]! ** 2 - 1 - Math.log(v + VARIANCE_EPSILON));
  }
  return { decor, kl };
}

const randomBatch = (seed: number, batch: number, dim: number, scale = 1): Float64Array => {
  const rng = new Rng(seed);
  return Float64Array.from({ length: batch * dim }, (_, i) => rng.normal(0.3 * (i % dim), scale * (1 + (i % 3) * 0.5)));
};

describe('SRR losses', () => {
  it('equal the float64 formulas', () => {
    const h = randomBatch(1, 32, 6);
    const ref = reference(h, 32, 6);
    const t = tf.tensor2d(Float32Array.from(h), [32, 6]);
    expect(decorrelationLoss(t).dataSync()[0]).toBeCloseTo(ref.decor, 3);
    expect(klToStandardNormalLoss(t).dataSync()[0]).toBeCloseTo(ref.kl, 3);
    t.dispose();
  });

  it('have gradients that match central finite differences', () => {
    const batch = 12;
    const dim = 4;
    const h = randomBatch(2, batch, dim);
    for (const [name, loss] of [
      ['decor', decorrelationLoss],
      ['kl', klToStandardNormalLoss],
    ] as const) {
      const grad = tf.tidy(() => tf.grad((x: tf.Tensor) => loss(x as tf.Tensor2D))(tf.tensor2d(Float32Array.from(h), [batch, dim])).dataSync());
      const step = 1e-5;
      for (let i = 0; i < h.length; i++) {
        const plus = Float64Array.from(h);
        const minus = Float64Array.from(h);
        plus[i]! += step;
        minus[i]! -= step;
        const numeric = (reference(plus, batch, dim)[name] - reference(minus, batch, dim)[name]) / (2 * step);
        expect(Math.abs((grad[i] as number) - numeric)).toBeLessThan(1e-3 * Math.max(1, Math.abs(numeric)));
      }
    }
  });

  it('L_decor is 0 for a batch with diagonal covariance', () => {
    // Columns of a Hadamard matrix: zero-mean and mutually orthogonal, scaled differently.
    const rows = [
      [1, 1, 1, 1],
      [1, -1, 1, -1],
      [1, 1, -1, -1],
      [1, -1, -1, 1],
    ];
    const h = rows.flatMap((r) => [r[1]! * 2, r[2]! * 0.5, r[3]! * 3]);
    const loss = decorrelationLoss(tf.tensor2d(h, [4, 3]));
    expect(loss.dataSync()[0]).toBe(0);
    expect(featureStatistics(h, 3).covOffDiagonal).toBe(0);
  });

  it('L_kl is about 0 for a large N(0, 1) batch', () => {
    const rng = new Rng(3);
    const h = Float32Array.from({ length: 20000 * 16 }, () => rng.normal(0, 1));
    const kl = klToStandardNormalLoss(tf.tensor2d(h, [20000, 16])).dataSync()[0] as number;
    expect(Math.abs(kl)).toBeLessThan(0.01);
    expect(featureStatistics(h, 16).kl).toBeLessThan(0.001);
  });

  it('leaks no tensors over many training-style steps', () => {
    const config = resolveSrrConfig();
    const h = tf.variable(tf.tensor2d(Float32Array.from(randomBatch(4, 64, 16)), [64, 16]));
    const before = tf.memory().numTensors;
    for (let epoch = 1; epoch <= 100; epoch++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => srrLoss(h as unknown as tf.Tensor2D, epoch, config).total);
        value.dataSync();
        for (const g of Object.values(grads)) g.dataSync();
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    h.dispose();
  });
});

describe('SRR schedule and config', () => {
  it('is off through epoch 10, ramps linearly, and is full from epoch 60', () => {
    const config = resolveSrrConfig();
    expect([1, 10, 11, 35, 60, 61, 1000].map((e) => srrWeight(e, config))).toEqual([0, 0, 0.02, 0.5, 1, 1, 1]);
    expect(srrWeight(15, resolveSrrConfig({ warmupStart: 0, warmupEpochs: 10 }))).toBe(1);
  });

  it('weights the terms by lambda and the warm-up', () => {
    const config = resolveSrrConfig({ lambdaDecor: 0.5, lambdaKl: 0.25 });
    const h = tf.tensor2d(Float32Array.from(randomBatch(5, 16, 3)), [16, 3]);
    const { total, decorrelation, kl, weight } = srrLoss(h, 35, config);
    expect(weight).toBe(0.5);
    expect(total.dataSync()[0]).toBeCloseTo(0.5 * (0.5 * decorrelation.dataSync()[0]! + 0.25 * kl.dataSync()[0]!), 5);
  });

  it('names a bad config field', () => {
    expect(() => resolveSrrConfig({ lambdaDecor: -1 })).toThrow(/srr\.lambdaDecor: expected a number >= 0/);
    expect(() => resolveSrrConfig({ warmupEpochs: 0 })).toThrow(/srr\.warmupEpochs/);
  });
});

describe('Table 5 statistics', () => {
  it('compute mean |off-diagonal covariance| and mean per-dimension KL', () => {
    // Two dimensions, x and 2x with x = (-1, 0, 1): var 1 and 4, cov 2, means 0.
    const h = [-1, -2, 0, 0, 1, 2];
    const stats = featureStatistics(h, 2);
    expect(stats.covOffDiagonal).toBeCloseTo(2, 12);
    expect(stats.kl).toBeCloseTo((0.5 * (1 - 1 - Math.log(1)) + 0.5 * (4 - 1 - Math.log(4))) / 2, 12);
    expect(() => featureStatistics([1, 2, 3], 2)).toThrow(/B x 2 row-major batch/);
  });
});
