import * as tf from '@tensorflow/tfjs';
import { type BatchTensors, type ObservationBatch, batchTensors } from './batch.js';
import { type ModelConfig, type ModelConfigInput, type ModelLayout, modelLayout, resolveModelConfig } from './config.js';
import { type Encoder, type EncoderOutput, createEncoder } from './encoder.js';
import { ObservationLayoutError } from './errors.js';
import { createPolicyHead, createQHead, createValueHead, deferLogit, deferQ, policyLogits, qValues, stateValue } from './heads.js';
import { createLayoutParameters } from './internal/layout-parameters.js';
import { gatherRows } from './internal/ops.js';
import { ParameterStore } from './params.js';

/** What a network computes for a batch (tensors owned by the caller's `tf.tidy`). */
export interface NetworkOutput {
  /**
   * The state feature (B x d): the attention feature `h` for cross-attention; with several candidates,
   * the mean of the present candidates' `h_k`. The critic reads it.
   */
  readonly feature: tf.Tensor2D;
  /**
   * The attention features of the scored tasks, what SRR regularises: one row per present candidate,
   * `(sum over rows of k) x d`, row by row and candidate by candidate (row b's candidates c = 0..k_b-1).
   * With one task per row it is `feature` itself (the same tensor).
   */
  readonly candidateFeatures: tf.Tensor2D;
  /** Policy logits (B x A, the batch's action layout), unmasked except for padding slots; null without a policy head. */
  readonly logits: tf.Tensor2D | null;
  /** State values (B); null without a value head. */
  readonly value: tf.Tensor1D | null;
  /** Q-values (B x A), padding slots at MASKED_LOGIT; null without a Q head. */
  readonly q: tf.Tensor2D | null;
}

/** `NetworkOutput` read back into plain arrays. */
export interface NetworkPrediction {
  readonly feature: Float32Array;
  readonly candidateFeatures: Float32Array;
  readonly logits: Float32Array | null;
  readonly value: Float32Array | null;
  readonly q: Float32Array | null;
}

/**
 * An encoder with its heads, the unit the agents train and the checkpoints store. PPO uses one with
 * `policy` + `value` (the critic shares the encoder), DQN one with `q`, SAC an actor (`policy`) and two
 * critics (`q`). Its parameters live in one ParameterStore; `dispose()` frees them.
 */
export class Network {
  readonly config: ModelConfig;
  /** The config's action and observation options, defaults resolved. */
  readonly layout: ModelLayout;
  readonly params: ParameterStore;
  readonly encoder: Encoder;

  constructor(config: ModelConfigInput | ModelConfig = {}) {
    this.config = resolveModelConfig(config);
    this.layout = modelLayout(this.config);
    this.params = new ParameterStore(this.config.seed);
    this.encoder = createEncoder(this.config, this.params);
    const featureSize = this.encoder.featureSize;
    if (this.config.outputs.policy) createPolicyHead(this.config, this.params, featureSize);
    if (this.config.outputs.value) createValueHead(this.config, this.params, featureSize);
    if (this.config.outputs.q) createQHead(this.config, this.params, featureSize);
    createLayoutParameters(this.config, this.params, featureSize);
  }

  /** The forward pass on tensors. Call inside `tf.tidy` (training losses, gradients). */
  apply(input: BatchTensors): NetworkOutput {
    checkBatchLayout(this.layout, input);
    const encoded = this.encoder.encode(input);
    const { outputs } = this.config;
    if (input.tasks === undefined) {
      // A paper batch: the paper's function, op for op.
      const padding = input.attentionBias === null ? null : tf.reshape(input.attentionBias, [input.size, input.n]);
      const withPadding = (t: tf.Tensor2D): tf.Tensor2D => (padding === null ? t : tf.add(t, padding));
      return {
        feature: encoded.feature,
        candidateFeatures: encoded.feature,
        logits: outputs.policy ? withPadding(policyLogits(this.config, this.params, encoded)) : null,
        value: outputs.value ? stateValue(this.config, this.params, encoded) : null,
        q: outputs.q ? withPadding(qValues(this.config, this.params, encoded)) : null,
      };
    }
    return {
      feature: encoded.feature,
      candidateFeatures: presentCandidates(encoded, input),
      logits: outputs.policy ? this.actionScores(policyLogits(this.config, this.params, encoded), 'policy', encoded, input) : null,
      value: outputs.value ? stateValue(this.config, this.params, encoded) : null,
      q: outputs.q ? this.actionScores(qValues(this.config, this.params, encoded), 'q', encoded, input) : null,
    };
  }

  /** Pointer scores (B x k N) to the batch's action layout: plus the pair term, the defer column, the padding. */
  private actionScores(pointer: tf.Tensor2D, head: 'policy' | 'q', encoded: EncoderOutput, input: BatchTensors): tf.Tensor2D {
    let scores = pointer;
    if (input.pairs !== undefined && input.pairs !== null) scores = tf.add(scores, tf.mul(input.pairs, this.params.get(`${head}/pair/w`)));
    if (this.layout.defer) {
      const defer = head === 'policy' ? deferLogit(this.params, encoded) : deferQ(this.config, this.params, encoded);
      scores = tf.concat([scores, defer], 1);
    }
    if (input.actionBias !== undefined && input.actionBias !== null) scores = tf.add(scores, input.actionBias);
    return scores;
  }

  /** The forward pass on an observation batch, read back into arrays (no tensors escape). */
  predict(batch: ObservationBatch): NetworkPrediction {
    const tensors = tf.tidy(() => {
      const out = this.apply(batchTensors(batch, this.config.taskFeatures, this.config.serverFeatures));
      const kept: Record<string, tf.Tensor> = { feature: out.feature };
      // With one task per row the candidate features are the state feature (the same tensor).
      if (out.candidateFeatures !== out.feature) kept.candidateFeatures = out.candidateFeatures;
      if (out.logits !== null) kept.logits = out.logits;
      if (out.value !== null) kept.value = out.value;
      if (out.q !== null) kept.q = out.q;
      return kept;
    });
    const read = (t: tf.Tensor | undefined): Float32Array | null => {
      if (t === undefined) return null;
      const data = t.dataSync() as Float32Array;
      t.dispose();
      return data;
    };
    const feature = read(tensors.feature) as Float32Array;
    const candidateFeatures = read(tensors.candidateFeatures) ?? feature;
    return { feature, candidateFeatures, logits: read(tensors.logits), value: read(tensors.value), q: read(tensors.q) };
  }

  /** Trainable variables, in a stable order (for optimizers and gradient lists). */
  trainableVariables(): tf.Variable[] {
    return this.params.list();
  }

  dispose(): void {
    this.encoder.dispose();
    this.params.dispose();
  }
}

/** The present candidates' rows of `h_k` ((sum k) x d): every slot when none is padded. */
function presentCandidates(encoded: EncoderOutput, input: BatchTensors): tf.Tensor2D {
  if (encoded.presentFeatures !== undefined) return encoded.presentFeatures;
  const all = encoded.candidateFeatures ?? encoded.feature;
  if (input.candidateRows === undefined || input.candidateRows === null) return all;
  return gatherRows(all, input.candidateRows);
}

/** Refuses a batch the network's config does not read, naming the field. */
function checkBatchLayout(layout: ModelLayout, input: BatchTensors): void {
  const k = input.k ?? 1;
  if (k > layout.candidates) {
    const allowed = layout.actions === 'server' ? '1 (actions: server)' : `at most ${layout.candidates} (model.candidates)`;
    throw new ObservationLayoutError('batch', 'k', allowed, `${k}`);
  }
  const defer = input.defer === true;
  if (defer !== layout.defer) throw new ObservationLayoutError('batch', 'defer', `${layout.defer} (model.defer)`, `${defer}`);
  const globalFeatures = input.global?.shape[1] ?? 0;
  if (globalFeatures !== layout.globalFeatures) {
    throw new ObservationLayoutError('batch', 'global', `${layout.globalFeatures} values (model.globalFeatures)`, `${globalFeatures}`);
  }
  const pairFeatures = input.pairs === undefined || input.pairs === null ? 0 : 1;
  if (pairFeatures !== layout.pairFeatures) {
    throw new ObservationLayoutError('batch', 'pairs', `${layout.pairFeatures} per pair (model.pairFeatures)`, `${pairFeatures}`);
  }
}
