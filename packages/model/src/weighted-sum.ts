import * as tf from '@tensorflow/tfjs';
import { matMul, trainingKernelsActive } from './internal/kernels.js';

/**
 * `sum(x * weights)` for constant weights (x's size, row-major): a scalar whose gradient with respect
 * to x is exactly `weights` (times the incoming gradient), which is how a loss computed off the tape
 * seeds the backward pass (PPO's `ppoShardGradients`). On wasm it is one SCALE-TS product,
 * `[1, size] x [size, 1]`, whose gradient is one more: tfjs's sum would build a ones tensor of x's
 * shape in JavaScript and upload it on every backward pass. Elsewhere, tfjs's mul and sum.
 */
export function weightedSum(x: tf.Tensor, weights: Float32Array): tf.Scalar {
  if (weights.length !== x.size) throw new RangeError(`weights: expected ${x.size} values (x's size), received ${weights.length}`);
  if (!trainingKernelsActive()) return tf.sum(tf.mul(x, tf.tensor(weights, x.shape)));
  return tf.reshape(matMul(tf.reshape(x, [1, x.size]), tf.tensor2d(weights, [x.size, 1])), []) as tf.Scalar;
}
