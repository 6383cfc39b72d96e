import * as tf from '@tensorflow/tfjs';
import type { BatchTensors } from './batch.js';
import type { ModelConfig } from './config.js';
import { ServerCountMismatchError } from './errors.js';
import { geluOp, matMul } from './internal/kernels.js';
import { createDense, createLayerNorm, createMlp, dense, layerNorm, mlp } from './internal/ops.js';
import type { ParameterStore } from './params.js';

/** What an encoder gives the heads. */
export interface EncoderOutput {
  /** The state feature (B x featureSize): the attention feature `h` for cross-attention; SRR acts on it. */
  readonly feature: tf.Tensor2D;
  /** Server embeddings `e_j` (B x N x d) for pointer heads; null for the MLP encoder. */
  readonly serverEmbeddings: tf.Tensor3D | null;
}

/** An encoder: observation tensors in, a state feature out. Swap one for the other through config. */
export interface Encoder {
  readonly kind: ModelConfig['encoder'];
  readonly featureSize: number;
  /** The server count the encoder is fixed to, or null for any N. */
  readonly fixedServers: number | null;
  encode(input: BatchTensors): EncoderOutput;
  /** Frees the encoder's constant tensors (its parameters belong to the ParameterStore). */
  dispose(): void;
}

export function createEncoder(config: ModelConfig, params: ParameterStore): Encoder {
  return config.encoder === 'cross-attention' ? new CrossAttentionEncoder(config, params) : new MlpEncoder(config, params);
}

/**
 * SCALE's encoder (paper section 4.2). Task and server features go through independent 2-layer ReLU
 * MLPs to d; then each block is
 *   `x <- LN(x + MHA(x, E, E))`, `x <- LN(x + W2 GELU(W1 x))`
 * with the task as the single query and the N server embeddings E as keys and values. No positional
 * encoding, so the output `h` does not depend on the servers' order or count.
 *
 * With one query the attention is computed folded: per head h the score of server n is
 * `q_h . (W_k,h^T e_n) = (W_k,h q_h) . e_n`, and the output is `W_v,h^T (sum_n a_n e_n) + b_v,h`, so the
 * keys and values of all N servers are never materialised (the key bias cancels in the softmax and is
 * omitted). It is the same function as the textbook form with 4x fewer N-dependent FLOPs at d = 16.
 */
export class CrossAttentionEncoder implements Encoder {
  readonly kind = 'cross-attention' as const;
  readonly featureSize: number;
  readonly fixedServers = null;
  /** H x d: row h is 1/sqrt(d_head) on head h's slice, 0 elsewhere (selects and scales a head). */
  private readonly headSelector: tf.Tensor2D;
  /** H x d: row h is 1 on head h's slice (recombines heads). */
  private readonly headMask: tf.Tensor2D;

  constructor(
    private readonly config: ModelConfig,
    private readonly params: ParameterStore,
  ) {
    const d = config.embedDim;
    this.featureSize = d;
    createMlp(params, 'encoder/task_embed', [config.taskFeatures, config.embedHidden, d]);
    createMlp(params, 'encoder/server_embed', [config.serverFeatures, config.embedHidden, d]);
    for (let k = 0; k < config.blocks; k++) {
      const p = `encoder/block${k}`;
      createDense(params, `${p}/query`, d, d);
      createDense(params, `${p}/key`, d, d, 1, false);
      createDense(params, `${p}/value`, d, d);
      createDense(params, `${p}/out`, d, d);
      createLayerNorm(params, `${p}/ln1`, d);
      createDense(params, `${p}/ffn1`, d, config.ffnHidden);
      createDense(params, `${p}/ffn2`, config.ffnHidden, d);
      createLayerNorm(params, `${p}/ln2`, d);
    }
    const heads = config.attentionHeads;
    const headDim = d / heads;
    const selector = new Float32Array(heads * d);
    const mask = new Float32Array(heads * d);
    for (let h = 0; h < heads; h++) {
      for (let i = h * headDim; i < (h + 1) * headDim; i++) {
        selector[h * d + i] = 1 / Math.sqrt(headDim);
        mask[h * d + i] = 1;
      }
    }
    this.headSelector = tf.keep(tf.tensor2d(selector, [heads, d]));
    this.headMask = tf.keep(tf.tensor2d(mask, [heads, d]));
  }

  encode(input: BatchTensors): EncoderOutput {
    const { size: B, n } = input;
    const { embedDim: d, attentionHeads: H, serverFeatures } = this.config;
    let x = mlp(input.task, this.params, 'encoder/task_embed', 2);
    const flatServers = tf.reshape(input.servers, [B * n, serverFeatures]) as tf.Tensor2D;
    const E = tf.reshape(mlp(flatServers, this.params, 'encoder/server_embed', 2), [B, n, d]) as tf.Tensor3D;
    for (let k = 0; k < this.config.blocks; k++) {
      const p = `encoder/block${k}`;
      const q = dense(x, this.params, `${p}/query`);
      // Per head, the scaled query placed on its own slice: B x H x d.
      const qHeads = tf.reshape(tf.mul(tf.expandDims(q, 1), this.headSelector), [B * H, d]) as tf.Tensor2D;
      // Folded keys: row (b, h) is W_k,h q_h / sqrt(d_head), so scores = G E^T.
      const G = tf.reshape(matMul(qHeads, this.params.get(`${p}/key/w`), false, true), [B, H, d]) as tf.Tensor3D;
      let scores = matMul(G, E, false, true); // B x H x n
      if (input.attentionBias !== null) scores = tf.add(scores, input.attentionBias);
      const attention = tf.softmax(scores); // over the servers
      const pooled = tf.reshape(matMul(attention, E), [B * H, d]) as tf.Tensor2D; // sum_n a_n e_n per head
      // Head h keeps its own slice of pooled_h W_v; summing over heads concatenates them.
      const perHead = tf.reshape(matMul(pooled, this.params.get(`${p}/value/w`)), [B, H, d]);
      const heads = tf.add(tf.sum(tf.mul(perHead, this.headMask), 1), this.params.get(`${p}/value/b`)) as tf.Tensor2D;
      x = layerNorm(tf.add(x, dense(heads, this.params, `${p}/out`)), this.params, `${p}/ln1`);
      const ffn = dense(geluOp(dense(x, this.params, `${p}/ffn1`)), this.params, `${p}/ffn2`);
      x = layerNorm(tf.add(x, ffn), this.params, `${p}/ln2`);
    }
    return { feature: x, serverEmbeddings: E };
  }

  dispose(): void {
    this.headSelector.dispose();
    this.headMask.dispose();
  }
}

/**
 * The structured MLP baseline: the task features and the flattened server features (N x 5) go
 * through separate ReLU MLPs and are concatenated. Its input size fixes N.
 */
export class MlpEncoder implements Encoder {
  readonly kind = 'mlp' as const;
  readonly featureSize: number;
  readonly fixedServers: number;

  constructor(
    private readonly config: ModelConfig,
    private readonly params: ParameterStore,
  ) {
    this.fixedServers = config.servers as number;
    const hidden = config.mlpHidden;
    this.featureSize = 2 * (hidden[hidden.length - 1] as number);
    createMlp(params, 'encoder/task', [config.taskFeatures, ...hidden]);
    createMlp(params, 'encoder/servers', [config.serverFeatures * this.fixedServers, ...hidden]);
  }

  encode(input: BatchTensors): EncoderOutput {
    // A padded batch holds rows with fewer than n servers: a mismatch too.
    if (input.n !== this.fixedServers || input.attentionBias !== null) {
      throw new ServerCountMismatchError(this.fixedServers, input.attentionBias !== null ? Number.NaN : input.n);
    }
    const layers = this.config.mlpHidden.length;
    const task = mlp(input.task, this.params, 'encoder/task', layers, 'relu');
    const flat = tf.reshape(input.servers, [input.size, input.n * this.config.serverFeatures]) as tf.Tensor2D;
    const servers = mlp(flat, this.params, 'encoder/servers', layers, 'relu');
    return { feature: tf.concat([task, servers], 1), serverEmbeddings: null };
  }

  dispose(): void {}
}
