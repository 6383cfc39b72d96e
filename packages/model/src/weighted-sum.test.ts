import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from './backend.js';
import { weightedSum } from './weighted-sum.js';

describe('weightedSum', () => {
  it.each(['wasm', 'cpu'] as const)('on %s: sum(x * w), and its gradient with respect to x is w exactly', async (backend) => {
    await useBackend(backend);
    const values = Float32Array.from({ length: 6 * 7 }, (_, i) => Math.sin(i) * 3);
    const weights = Float32Array.from({ length: 6 * 7 }, (_, i) => Math.cos(i * 1.7) / (i + 1));
    tf.tidy(() => {
      const x = tf.tensor2d(values, [6, 7]);
      let expected = 0;
      for (let i = 0; i < values.length; i++) expected += (values[i] as number) * (weights[i] as number);
      expect(weightedSum(x, weights).dataSync()[0]).toBeCloseTo(expected, 4);
      const grad = tf.grad((v: tf.Tensor) => tf.mul(weightedSum(v, weights), 2))(x);
      expect(Array.from(grad.dataSync())).toEqual(Array.from(weights, (w) => Math.fround(2 * w)));
    });
    const before = tf.memory().numTensors;
    tf.tidy(() => void tf.grad((v: tf.Tensor) => weightedSum(v, weights))(tf.tensor1d(values)));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the size it expected', () => {
    expect(() => tf.tidy(() => weightedSum(tf.zeros([2, 3]), new Float32Array(5)))).toThrow("weights: expected 6 values (x's size), received 5");
  });
});
