import * as tf from '@tensorflow/tfjs';
import { maskLogits, useBackend } from '@scale/model';
import { Rng } from '@scale/workload';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ppoLoss, ppoLossGradient } from './ppo-loss.js';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('PPO loss', () => {
  it('matches a hand-computed two-sample batch', () => {
    const terms = tf.tidy(() => {
      // Sample 0: logits [0, ln 3] -> pi = [0.25, 0.75], action 1, old log-prob ln 0.5 -> ratio 1.5 (clipped to 1.2), A = 2.
      // Sample 1: logits [0, 0] -> pi = [0.5, 0.5], action 0, old log-prob ln 0.25 -> ratio 2 (clipped), A = -1.
      const t = ppoLoss({
        logits: tf.tensor2d([0, Math.log(3), 0, 0], [2, 2]),
        actionOneHot: tf.tensor2d([0, 1, 1, 0], [2, 2]),
        oldLogProb: tf.tensor1d([Math.log(0.5), Math.log(0.25)]),
        advantage: tf.tensor1d([2, -1]),
        value: tf.tensor1d([1, 0]),
        target: tf.tensor1d([0, 2]),
        clipCoef: 0.2,
        entCoef: 0.01,
        vfCoef: 0.5,
      });
      return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.dataSync()[0]]));
    }) as unknown as Record<string, number>;
    // max(-2 * 1.5, -2 * 1.2) = -2.4; max(1 * 2, 1 * 1.2) = 2  -> mean -0.2
    expect(terms.policyLoss).toBeCloseTo(-0.2, 5);
    // 0.5 * mean(1, 4) = 1.25
    expect(terms.valueLoss).toBeCloseTo(1.25, 5);
    const h0 = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
    const h1 = Math.log(2);
    expect(terms.entropy).toBeCloseTo((h0 + h1) / 2, 5);
    expect(terms.loss).toBeCloseTo(-0.2 - 0.01 * ((h0 + h1) / 2) + 0.5 * 1.25, 5);
    expect(terms.approxKl).toBeCloseTo((0.5 - Math.log(1.5) + (1 - Math.log(2))) / 2, 5);
    expect(terms.clipFraction).toBeCloseTo(1, 6);
  });

  it('ppoLossGradient gives the same terms on that batch', () => {
    const { values } = ppoLossGradient({
      logits: [0, Math.log(3), 0, 0],
      values: [1, 0],
      n: 2,
      actionMask: null,
      actions: Int32Array.from([1, 0]),
      oldLogProbs: Float32Array.from([Math.log(0.5), Math.log(0.25)]),
      advantages: Float32Array.from([2, -1]),
      returns: Float32Array.from([0, 2]),
      clipCoef: 0.2,
      entCoef: 0.01,
      vfCoef: 0.5,
      rowWeight: 1 / 2,
    });
    const h = (-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)) + Math.log(2)) / 2;
    // To float32 precision: the old log-probs are stored as float32.
    expect(values.policyLoss).toBeCloseTo(-0.2, 7);
    expect(values.valueLoss).toBeCloseTo(1.25, 12);
    expect(values.entropy).toBeCloseTo(h, 12);
    expect(values.loss).toBeCloseTo(-0.2 - 0.01 * h + 0.5 * 1.25, 7);
    expect(values.approxKl).toBeCloseTo((0.5 - Math.log(1.5) + (1 - Math.log(2))) / 2, 7);
    expect(values.clipFraction).toBe(1);
  });

  it("ppoLossGradient equals ppoLoss and tfjs autodiff's gradient of it, in both invalid-action modes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 2, max: 12 }), fc.boolean(), fc.integer({ min: 1, max: 10_000 }), (rows, n, masked, seed) => {
        const rng = new Rng(seed);
        const logits = Float32Array.from({ length: rows * n }, () => rng.normal(0, 2));
        const mask = Uint8Array.from({ length: rows * n }, () => (!masked || rng.uniform(0, 1) < 0.7 ? 1 : 0));
        const actions = Int32Array.from({ length: rows }, (_, i) => {
          const a = rng.int(0, n - 1);
          mask[i * n + a] = 1; // the action taken was valid
          return a;
        });
        // Old log-probs near the new ones, so ratios fall inside and outside the clip range.
        const logSoftmax = tf.tidy(() => tf.logSoftmax(maskLogits(tf.tensor2d(logits, [rows, n]), tf.tensor2d(Float32Array.from(mask), [rows, n]))).dataSync());
        const oldLogProbs = Float32Array.from(actions, (a, i) => (logSoftmax[i * n + a] as number) + rng.normal(0, 0.3));
        const advantages = Float32Array.from({ length: rows }, () => rng.normal(0, 1));
        const values = Float32Array.from({ length: rows }, () => rng.normal(0, 1));
        const returns = Float32Array.from({ length: rows }, () => rng.normal(0, 1));
        const settings = { clipCoef: 0.2, entCoef: 0.01, vfCoef: 0.5 };
        const ours = ppoLossGradient({ logits, values, n, actionMask: masked ? mask : null, actions, oldLogProbs, advantages, returns, ...settings, rowWeight: 1 / rows });
        tf.tidy(() => {
          const constant = {
            actionOneHot: tf.oneHot(tf.tensor1d(actions, 'int32'), n) as tf.Tensor2D,
            oldLogProb: tf.tensor1d(oldLogProbs),
            advantage: tf.tensor1d(advantages),
            target: tf.tensor1d(returns),
            ...settings,
          };
          const maskTensor = tf.tensor2d(Float32Array.from(mask), [rows, n]);
          const terms = (z: tf.Tensor, v: tf.Tensor) => ppoLoss({ ...constant, logits: masked ? maskLogits(z as tf.Tensor2D, maskTensor) : (z as tf.Tensor2D), value: v as tf.Tensor1D });
          const [z, v] = [tf.tensor2d(logits, [rows, n]), tf.tensor1d(values)];
          const reference = terms(z, v);
          for (const key of ['loss', 'policyLoss', 'valueLoss', 'entropy', 'approxKl', 'clipFraction'] as const) {
            expect(Math.abs(ours.values[key] - (reference[key].dataSync()[0] as number))).toBeLessThan(1e-5 * Math.max(1, Math.abs(ours.values[key])));
          }
          const [dz, dv] = tf.grads((a: tf.Tensor, b: tf.Tensor) => terms(a, b).loss)([z, v]) as [tf.Tensor, tf.Tensor];
          const expectClose = (got: Float32Array, want: ArrayLike<number>) => {
            for (let i = 0; i < got.length; i++) expect(Math.abs((got[i] as number) - (want[i] as number))).toBeLessThan(1e-6 + 1e-4 * Math.abs(want[i] as number));
          };
          expectClose(ours.logitGradient, dz.dataSync());
          expectClose(ours.valueGradient, dv.dataSync());
        });
      }),
      { numRuns: 100, seed: 3 },
    );
  });
});
