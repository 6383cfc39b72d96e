import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config.js';
import type { EncoderOutput } from './encoder.js';
import { matMul } from './internal/kernels.js';
import { createDense, createMlp, dense, mlp } from './internal/ops.js';
import type { ParameterStore } from './params.js';

/**
 * Initial scale of the policy's output layer: near-uniform first policies (CleanRL's 0.01 actor
 * head), so early exploration does not depend on the initial weights' luck.
 */
export const POLICY_OUTPUT_GAIN = 0.01;

/**
 * Policy logits over the N servers.
 * - Cross-attention: the pointer `(W_q h + b_q) . (W_k e_j) / sqrt(d)`, computed as
 *   `e_j . u` with `u = W_k^T (W_q h + b_q) / sqrt(d)` (any N, permutation-equivariant). With k
 *   candidates, the same pointer on each candidate's `h_k`: B x (k N), column `c N + j`.
 * - MLP: a linear layer from the feature to N logits (fixed N).
 * The pair-feature term, the defer logit and the padding are added by `Network.apply`.
 */
export function createPolicyHead(config: ModelConfig, params: ParameterStore, featureSize: number): void {
  if (config.encoder === 'cross-attention') {
    createDense(params, 'policy/query', config.embedDim, config.embedDim, POLICY_OUTPUT_GAIN);
    createDense(params, 'policy/key', config.embedDim, config.embedDim, 1, false);
  } else {
    createDense(params, 'policy/out', featureSize, config.servers as number, POLICY_OUTPUT_GAIN);
  }
}

export function policyLogits(config: ModelConfig, params: ParameterStore, encoded: EncoderOutput): tf.Tensor2D {
  const E = encoded.serverEmbeddings;
  if (E === null) return dense(encoded.feature, params, 'policy/out');
  const [B, n] = E.shape;
  const K = encoded.candidates ?? 1;
  const h = encoded.candidateFeatures ?? encoded.feature;
  const query = dense(h, params, 'policy/query');
  const u = tf.mul(matMul(query, params.get('policy/key/w'), false, true), 1 / Math.sqrt(config.embedDim));
  if (K === 1) return tf.reshape(matMul(tf.expandDims(u, 1), E, false, true), [B, n]) as tf.Tensor2D;
  return tf.reshape(matMul(tf.reshape(u, [B, K, config.embedDim]) as tf.Tensor3D, E, false, true), [B, K * n]) as tf.Tensor2D;
}

/** The defer action's logit (B x 1): a small MLP (d -> embedHidden -> 1, ReLU) on the state feature. */
export function deferLogit(params: ParameterStore, encoded: EncoderOutput): tf.Tensor2D {
  return mlp(encoded.feature, params, 'policy/defer', 2);
}

/** The critic: an MLP (feature -> 64 -> 64 -> 1, ReLU) on the state feature alone. */
export function createValueHead(config: ModelConfig, params: ParameterStore, featureSize: number): void {
  createMlp(params, 'value', [featureSize, ...config.criticHidden, 1]);
}

export function stateValue(config: ModelConfig, params: ParameterStore, encoded: EncoderOutput): tf.Tensor1D {
  const out = mlp(encoded.feature, params, 'value', config.criticHidden.length + 1);
  return tf.reshape(out, [out.shape[0]]) as tf.Tensor1D;
}

/**
 * Per-action Q-values.
 * - MLP: dueling, `Q = V(f) + A(f) - mean_a A(f)` with separate MLP streams (fixed N).
 * - Cross-attention: pointer Q, `Q_j = V(h) + (W_q h + b_q) . (W_k e_j + b_k) / sqrt(d)`: a state value
 *   plus a pointer score per server (any N, permutation-equivariant). With k candidates, the pointer
 *   score uses each candidate's `h_k` (column `c N + j`) and V the state feature.
 */
export function createQHead(config: ModelConfig, params: ParameterStore, featureSize: number): void {
  createMlp(params, 'q/value', [featureSize, ...config.duelingHidden, 1]);
  if (config.encoder === 'cross-attention') {
    createDense(params, 'q/query', config.embedDim, config.embedDim);
    createDense(params, 'q/key', config.embedDim, config.embedDim);
  } else {
    createMlp(params, 'q/advantage', [featureSize, ...config.duelingHidden, config.servers as number]);
  }
}

export function qValues(config: ModelConfig, params: ParameterStore, encoded: EncoderOutput): tf.Tensor2D {
  const layers = config.duelingHidden.length + 1;
  const value = mlp(encoded.feature, params, 'q/value', layers); // B x 1
  const E = encoded.serverEmbeddings;
  if (E === null) {
    const advantage = mlp(encoded.feature, params, 'q/advantage', layers);
    return tf.add(value, tf.sub(advantage, tf.mean(advantage, 1, true))) as tf.Tensor2D;
  }
  const [B, n, d] = E.shape;
  const K = encoded.candidates ?? 1;
  const query = dense(encoded.candidateFeatures ?? encoded.feature, params, 'q/query');
  const keys = tf.reshape(dense(tf.reshape(E, [B * n, d]) as tf.Tensor2D, params, 'q/key'), [B, n, d]);
  const queries = K === 1 ? tf.expandDims(query, 1) : tf.reshape(query, [B, K, d]);
  const scores = tf.reshape(matMul(queries, keys, false, true), [B, K * n]);
  return tf.add(value, tf.mul(scores, 1 / Math.sqrt(config.embedDim))) as tf.Tensor2D;
}

/** The defer action's Q-value (B x 1): `V(f) + D(f)`, D an MLP like a dueling stream, on the state feature. */
export function deferQ(config: ModelConfig, params: ParameterStore, encoded: EncoderOutput): tf.Tensor2D {
  const layers = config.duelingHidden.length + 1;
  return tf.add(mlp(encoded.feature, params, 'q/value', layers), mlp(encoded.feature, params, 'q/defer', layers)) as tf.Tensor2D;
}
