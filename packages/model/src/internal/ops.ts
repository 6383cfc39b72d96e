import * as tf from '@tensorflow/tfjs';
import type { ParameterStore } from '../params.js';
import { denseOp, layerNormOp, matMul } from './kernels.js';

export type Activation = 'relu' | 'linear';

/**
 * `x W + b` with an optional ReLU: one SCALE-TS kernel each way on wasm, tfjs's fused matMul (and its
 * own gradient) elsewhere. Fewer, faster kernels is most of tfjs speed here.
 */
export function dense(x: tf.Tensor2D, params: ParameterStore, name: string, activation: Activation = 'linear', bias = true): tf.Tensor2D {
  const w = params.get(`${name}/w`);
  if (!bias) return matMul(x, w);
  const b = params.get(`${name}/b`);
  return denseOp(x, w, b, activation === 'relu') ?? (tf.fused.matMul({ a: x, b: w as tf.Tensor2D, bias: b, activation }) as tf.Tensor2D);
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
  return layerNormOp(x, params.get(`${name}/gamma`) as tf.Tensor1D, params.get(`${name}/beta`) as tf.Tensor1D, LAYER_NORM_EPSILON);
}


/**
 * `tf.gather(x, rows)` on axis 0 for distinct `rows`, with its gradient as a ScatterNd: tfjs's own
 * gather gradient needs UnsortedSegmentSum, which the wasm backend lacks.
 */
export function gatherRows(x: tf.Tensor2D, rows: tf.Tensor1D): tf.Tensor2D {
  const gather = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.gather(input, rows), gradFunc: (dy: tf.Tensor) => tf.scatterND(tf.expandDims(rows, 1), dy, input.shape) };
  });
  return gather(x) as tf.Tensor2D;
}

/**
 * Rows of `x` (P x d) placed in slots: slot i gets row `slots[i]`, or zeros where `slots[i]` = P
 * (padding). `rows[p]` is row p's slot (each row fills exactly one), so the gradient is a gather too.
 */
export function placeRows(x: tf.Tensor2D, slots: tf.Tensor1D, rows: tf.Tensor1D): tf.Tensor2D {
  const place = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor2D;
    const padded = tf.concat([input, tf.zeros([1, input.shape[1]])], 0);
    return { value: tf.gather(padded, slots), gradFunc: (dy: tf.Tensor) => tf.gather(dy, rows) };
  });
  return place(x) as tf.Tensor2D;
}
