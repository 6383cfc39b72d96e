import * as tf from '@tensorflow/tfjs';
import type { ParameterStore } from '../params.js';
import { MASKED_LOGIT } from '../batch.js';

export type Activation = 'relu' | 'linear';

/**
 * `a @ b` (rank 2 or 3) with a gradient that transposes explicitly: tfjs-wasm's matMul with a
 * transpose flag is 5-10x slower than transpose + plain matMul at these shapes (measured), and the
 * default gradient of matMul uses both flags.
 */
export const matMul = tf.customGrad((a, b, save) => {
  (save as tf.GradSaveFunc)([a as tf.Tensor, b as tf.Tensor]);
  return {
    value: tf.matMul(a as tf.Tensor, b as tf.Tensor),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
      const perm = sa.rank === 2 ? [1, 0] : [0, 2, 1];
      return [tf.matMul(dy, tf.transpose(sb, perm)), tf.matMul(tf.transpose(sa, perm), dy)];
    },
  };
}) as <T extends tf.Tensor>(a: T, b: tf.Tensor) => T;

/** `x W + b` then ReLU, one fused kernel forward and a transpose-explicit backward. */
const denseRelu = tf.customGrad((x, w, b, save) => {
  const y = tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b as tf.Tensor, activation: 'relu' });
  (save as tf.GradSaveFunc)([x as tf.Tensor, w as tf.Tensor, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw, sy] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const dz = tf.mul(dy, tf.step(sy));
      return [tf.matMul(dz, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dz), tf.sum(dz, 0)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;

/** `x W + b`, fused forward and a transpose-explicit backward. */
const denseLinear = tf.customGrad((x, w, b, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor, w as tf.Tensor]);
  return {
    value: tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b as tf.Tensor }),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dy), tf.sum(dy, 0)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;

/** `x W + b` with an optional ReLU (fewer, faster kernels is most of tfjs speed here). */
export function dense(x: tf.Tensor2D, params: ParameterStore, name: string, activation: Activation = 'linear', bias = true): tf.Tensor2D {
  const w = params.get(`${name}/w`);
  if (!bias) return matMul(x, w);
  const b = params.get(`${name}/b`);
  return activation === 'relu' ? denseRelu(x, w, b) : denseLinear(x, w, b);
}

/** Declares the parameters of a dense layer `in -> out`. */
export function createDense(params: ParameterStore, name: string, inputs: number, outputs: number, gain = 1, bias = true): void {
  params.create(`${name}/w`, [inputs, outputs], { kind: 'glorot', gain });
  if (bias) params.create(`${name}/b`, [outputs], { kind: 'zeros' });
}

/** Declares an MLP `widths[0] -> ... -> widths[last]` as layers `name/0`, `name/1`, ... */
export function createMlp(params: ParameterStore, name: string, widths: readonly number[], finalGain = 1): void {
  for (let i = 0; i + 1 < widths.length; i++) {
    createDense(params, `${name}/${i}`, widths[i] as number, widths[i + 1] as number, i + 2 === widths.length ? finalGain : 1);
  }
}

/** ReLU between layers, none after the last. */
export function mlp(x: tf.Tensor2D, params: ParameterStore, name: string, layers: number, finalActivation: Activation = 'linear'): tf.Tensor2D {
  let h = x;
  for (let i = 0; i < layers; i++) h = dense(h, params, `${name}/${i}`, i + 1 === layers ? finalActivation : 'relu');
  return h;
}

/** LayerNorm epsilon (PyTorch's default). */
export const LAYER_NORM_EPSILON = 1e-5;

export function createLayerNorm(params: ParameterStore, name: string, width: number): void {
  params.create(`${name}/gamma`, [width], { kind: 'ones' });
  params.create(`${name}/beta`, [width], { kind: 'zeros' });
}

/** LayerNorm over the last axis: `(x - mean) / sqrt(var + eps) * gamma + beta` (biased variance). */
export function layerNorm(x: tf.Tensor2D, params: ParameterStore, name: string): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LAYER_NORM_EPSILON)));
  return tf.add(tf.mul(normalized, params.get(`${name}/gamma`)), params.get(`${name}/beta`)) as tf.Tensor2D;
}

/** Exact GELU, `0.5 x (1 + erf(x / sqrt 2))` (PyTorch's default). */
export function gelu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as tf.Tensor2D;
}

/** Replaces invalid actions' logits (mask 0) by MASKED_LOGIT; `mask` is a float 0/1 tensor. */
export function maskLogits(logits: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  // logits * mask + (1 - mask) * MASKED_LOGIT, without a boolean tensor (keeps gradients simple).
  return tf.add(tf.mul(logits, mask), tf.mul(tf.sub(1, mask), MASKED_LOGIT)) as tf.Tensor2D;
}
