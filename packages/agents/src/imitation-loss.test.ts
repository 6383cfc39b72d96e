import * as tf from '@tensorflow/tfjs';
import { maskLogits, useBackend } from '@scale/model';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { imitationLoss, imitationLossGradient } from './imitation-loss.js';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('imitation loss', () => {
  it('matches a hand-computed batch: one optimal action, then two', () => {
    // Row 0: p = [0.25, 0.75], S = {1}: -ln 0.75. Row 1: p = [0.25, 0.75], S = {0, 1}: 0.
    const logits = [0, Math.log(3), 0, Math.log(3)];
    const optimal = Uint8Array.from([0, 1, 1, 1]);
    const tfLoss = tf.tidy(() => imitationLoss({ logits: tf.tensor2d(logits, [2, 2]), optimal: tf.tensor2d(Float32Array.from(optimal), [2, 2]) }).dataSync()[0] as number);
    expect(tfLoss).toBeCloseTo(-Math.log(0.75) / 2, 5);
    const { values, logitGradient } = imitationLossGradient({ logits, n: 2, actionMask: null, optimal, rowWeight: 1 / 2 });
    expect(values.loss).toBeCloseTo(-Math.log(0.75) / 2, 12);
    expect(values.accuracy).toBe(1);
    const h = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
    expect(values.entropy).toBeCloseTo(h, 12);
    // Row 0: (p - onehot) / 2 = [0.125, -0.125]; row 1: p - p = 0.
    [0.125, -0.125, 0, 0].forEach((g, j) => {
      expect(logitGradient[j]).toBeCloseTo(g, 7);
    });
  });

  it('imitationLossGradient is the gradient of imitationLoss (tfjs autodiff), masked or not', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 7 }),
        fc.boolean(),
        fc.infiniteStream(fc.double({ min: -4, max: 4, noNaN: true })),
        fc.infiniteStream(fc.boolean()),
        (rows, n, masked, values, bits) => {
          const logits = Float32Array.from({ length: rows * n }, () => values.next().value as number);
          const mask = new Uint8Array(rows * n);
          const optimal = new Uint8Array(rows * n);
          for (let i = 0; i < rows; i++) {
            // Row i: valid actions random, at least one; the optimal set a non-empty subset of them.
            for (let j = 0; j < n; j++) mask[i * n + j] = !masked || (bits.next().value as boolean) ? 1 : 0;
            mask[i * n + (i % n)] = 1;
            for (let j = 0; j < n; j++) optimal[i * n + j] = mask[i * n + j] === 1 && (bits.next().value as boolean) ? 1 : 0;
            optimal[i * n + (i % n)] = 1;
          }
          const expected = tf.tidy(() => {
            const z = tf.variable(tf.tensor2d(logits, [rows, n]));
            const { grads, value } = tf.variableGrads(() => {
              const input = masked ? maskLogits(z, tf.tensor2d(Float32Array.from(mask), [rows, n])) : z;
              return imitationLoss({ logits: input, optimal: tf.tensor2d(Float32Array.from(optimal), [rows, n]) });
            }, [z]);
            const out = { loss: value.dataSync()[0] as number, gradient: (grads[z.name] as tf.Tensor).dataSync() as Float32Array };
            z.dispose();
            return out;
          });
          const { values: got, logitGradient } = imitationLossGradient({ logits, n, actionMask: masked ? mask : null, optimal, rowWeight: 1 / rows });
          expect(got.loss).toBeCloseTo(expected.loss, 4);
          logitGradient.forEach((g, j) => {
            expect(g).toBeCloseTo(expected.gradient[j] as number, 5);
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses a row whose optimal set has no probability', () => {
    expect(() => imitationLossGradient({ logits: [0, 0], n: 2, actionMask: Uint8Array.from([1, 0]), optimal: Uint8Array.from([0, 1]), rowWeight: 1 })).toThrow(/optimal: row 0/);
  });
});
