import * as tf from '@tensorflow/tfjs';
import type { BatchTensors } from './batch.js';
import type { ModelConfig } from './config.js';
import { ObservationLayoutError, ServerCountMismatchError } from './errors.js';
import { geluOp, headFold, headProject, matMul, segmentMatMul, segmentOuter } from './internal/kernels.js';
import { createDense, createLayerNorm, createMlp, dense, layerNorm, mlp, placeRows } from './internal/ops.js';
import type { ParameterStore } from './params.js';

/** What an encoder gives the heads. */
export interface EncoderOutput {
  /**
   * The state feature (B x featureSize): the attention feature `h` for cross-attention (with several
   * candidates, the mean of their `h_k` over the present ones); the critic reads it.
   */
  readonly feature: tf.Tensor2D;
  /** Server embeddings `e_j` (B x N x d) for pointer heads; null for the MLP encoder. */
  readonly serverEmbeddings: tf.Tensor3D | null;
  /** Candidate slots per row (k; padded slots included); absent = 1. */
  readonly candidates?: number;
  /** Each candidate slot's attention feature `h_k`, (B * k) x d, row b * k + c; absent = `feature` (k = 1). */
  readonly candidateFeatures?: tf.Tensor2D;
  /** The present candidates' `h_k` ((sum of k) x d, row by row) when candidates are padded; absent otherwise. */
  readonly presentFeatures?: tf.Tensor2D;
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
 * With k candidate tasks (task-and-server mode) each candidate is its own query through the same
 * blocks (B x k x H queries; candidates never attend to each other, so `h_k` does not depend on the
 * other candidates or their order), and a global context, when configured, is embedded by its own
 * 2-layer MLP (`encoder/global_embed`, declared with issue 14's other parameters after the heads',
 * see `internal/layout-parameters.ts`) and added to every candidate's task embedding. The state feature is the mean of the
 * present candidates' `h_k`. With k = 1 and no global context it is the paper's encoder, op for op.
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
    if (input.candidateOffsets !== undefined && input.candidateOffsets !== null) return this.encodePresent(input, input.candidateOffsets);
    const { size: B, n } = input;
    const { embedDim: d, attentionHeads: H, serverFeatures } = this.config;
    const K = input.k ?? 1;
    const rows = B * K; // one query per candidate slot
    let x = mlp(input.tasks ?? input.task, this.params, 'encoder/task_embed', 2);
    if (input.global !== undefined && input.global !== null) {
      const g = mlp(input.global, this.params, 'encoder/global_embed', 2);
      x = K === 1 ? tf.add(x, g) : (tf.reshape(tf.add(tf.reshape(x, [B, K, d]), tf.expandDims(g, 1)), [rows, d]) as tf.Tensor2D);
    }
    const flatServers = tf.reshape(input.servers, [B * n, serverFeatures]) as tf.Tensor2D;
    const E = tf.reshape(mlp(flatServers, this.params, 'encoder/server_embed', 2), [B, n, d]) as tf.Tensor3D;
    x = this.blocks(x, (G) => {
      let scores = matMul(tf.reshape(G, [B, K * H, d]) as tf.Tensor3D, E, false, true); // B x (K H) x n
      if (input.attentionBias !== null) scores = tf.add(scores, input.attentionBias);
      const attention = tf.softmax(scores); // over the servers
      return tf.reshape(matMul(attention, E), [rows * H, d]) as tf.Tensor2D; // sum_n a_n e_n per head
    });
    if (K === 1) return { feature: x, serverEmbeddings: E };
    // The state feature: the mean over present candidates, as one batched product with the weights.
    const mean = input.candidateMean as tf.Tensor3D;
    const feature = tf.reshape(matMul(mean, tf.reshape(x, [B, K, d]) as tf.Tensor3D), [B, d]) as tf.Tensor2D;
    return { feature, serverEmbeddings: E, candidates: K, candidateFeatures: x };
  }

  /**
   * The attention blocks on the queries x (rows x d). `pool` takes the folded keys G ((rows H) x d,
   * row (query, head)) to the pooled server embeddings per head ((rows H) x d): the softmax over each
   * query's own row's servers, batched (padded slots) or by segments (present candidates).
   */
  private blocks(input: tf.Tensor2D, pool: (G: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
    let x = input;
    for (let k = 0; k < this.config.blocks; k++) {
      const p = `encoder/block${k}`;
      const q = dense(x, this.params, `${p}/query`);
      // Folded keys: row (query, h) is W_k,h q_h / sqrt(d_head) (the scaled query on head h's slice
      // times W_k^T), so scores = G E^T.
      const pooled = pool(headFold(q, this.headSelector, this.params.get(`${p}/key/w`) as tf.Tensor2D));
      // Head h keeps its own slice of pooled_h W_v; summing over heads concatenates them.
      const heads = tf.add(headProject(pooled, this.params.get(`${p}/value/w`) as tf.Tensor2D, this.headMask), this.params.get(`${p}/value/b`)) as tf.Tensor2D;
      x = layerNorm(tf.add(x, dense(heads, this.params, `${p}/out`)), this.params, `${p}/ln1`);
      const ffn = dense(geluOp(dense(x, this.params, `${p}/ffn1`)), this.params, `${p}/ffn2`);
      x = layerNorm(tf.add(x, ffn), this.params, `${p}/ln2`);
    }
    return x;
  }

  /**
   * A batch with padded candidates: only the P present ones go through the blocks. Row b's
   * candidates are query rows `offsets[b]..offsets[b + 1]`, and each attends to its own row's
   * servers through segment products (the batched products with a row count per batch entry; each
   * query's numbers are those of the padded product). The state feature is the mean over each row's
   * segment; the heads get the slots' layout back (`placeRows`, padded slots zero and masked).
   */
  private encodePresent(input: BatchTensors, offsets: readonly number[]): EncoderOutput {
    const { size: B, n } = input;
    const { embedDim: d, attentionHeads: H, serverFeatures } = this.config;
    const K = input.k ?? 1;
    const P = offsets[B] as number;
    const headOffsets = offsets.map((o) => o * H);
    let x = mlp(input.presentTasks as tf.Tensor2D, this.params, 'encoder/task_embed', 2);
    if (input.global !== undefined && input.global !== null) {
      // Each candidate's row's global embedding: a segment product with ones (exact: 1 * g).
      const g = tf.reshape(mlp(input.global, this.params, 'encoder/global_embed', 2), [B, 1, d]) as tf.Tensor3D;
      x = tf.add(x, segmentMatMul(tf.ones([P, 1]), g, offsets));
    }
    const flatServers = tf.reshape(input.servers, [B * n, serverFeatures]) as tf.Tensor2D;
    const E = tf.reshape(mlp(flatServers, this.params, 'encoder/server_embed', 2), [B, n, d]) as tf.Tensor3D;
    const bias = input.presentAttentionBias ?? null;
    x = this.blocks(x, (G) => {
      let scores = segmentMatMul(G, E, headOffsets, true); // (P H) x n
      if (bias !== null) scores = tf.reshape(tf.add(tf.reshape(scores, [P, H, n]), bias), [P * H, n]) as tf.Tensor2D;
      return segmentMatMul(tf.softmax(scores), E, headOffsets); // sum_n a_n e_n per head
    });
    const feature = tf.reshape(segmentOuter(input.presentWeights as tf.Tensor2D, x, offsets), [B, d]) as tf.Tensor2D;
    const slots = placeRows(x, input.candidateSlots as tf.Tensor1D, input.candidateRows as tf.Tensor1D);
    return { feature, serverEmbeddings: E, candidates: K, candidateFeatures: slots, presentFeatures: x };
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
    if ((input.k ?? 1) !== 1 || input.defer === true || (input.global ?? null) !== null || (input.pairs ?? null) !== null) {
      throw new ObservationLayoutError('batch', 'k', 'the paper layout for the mlp encoder (one task, no defer, global or pairs)', `k = ${input.k ?? 1}`);
    }
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
