import * as tf from '@tensorflow/tfjs';
import { type BatchTensors, type ObservationBatch, batchTensors } from './batch.js';
import { type ModelConfig, type ModelConfigInput, resolveModelConfig } from './config.js';
import { type Encoder, createEncoder } from './encoder.js';
import { createPolicyHead, createQHead, createValueHead, policyLogits, qValues, stateValue } from './heads.js';
import { ParameterStore } from './params.js';

/** What a network computes for a batch (tensors owned by the caller's `tf.tidy`). */
export interface NetworkOutput {
  /** The state feature: the attention feature `h` for cross-attention (what SRR regularises). */
  readonly feature: tf.Tensor2D;
  /** Policy logits (B x N), unmasked except for padding slots; null without a policy head. */
  readonly logits: tf.Tensor2D | null;
  /** State values (B); null without a value head. */
  readonly value: tf.Tensor1D | null;
  /** Q-values (B x N), padding slots at MASKED_LOGIT; null without a Q head. */
  readonly q: tf.Tensor2D | null;
}

/** `NetworkOutput` read back into plain arrays. */
export interface NetworkPrediction {
  readonly feature: Float32Array;
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
  readonly params: ParameterStore;
  readonly encoder: Encoder;

  constructor(config: ModelConfigInput | ModelConfig = {}) {
    this.config = resolveModelConfig(config);
    this.params = new ParameterStore(this.config.seed);
    this.encoder = createEncoder(this.config, this.params);
    const featureSize = this.encoder.featureSize;
    if (this.config.outputs.policy) createPolicyHead(this.config, this.params, featureSize);
    if (this.config.outputs.value) createValueHead(this.config, this.params, featureSize);
    if (this.config.outputs.q) createQHead(this.config, this.params, featureSize);
  }

  /** The forward pass on tensors. Call inside `tf.tidy` (training losses, gradients). */
  apply(input: BatchTensors): NetworkOutput {
    const encoded = this.encoder.encode(input);
    const padding = input.attentionBias === null ? null : tf.reshape(input.attentionBias, [input.size, input.n]);
    const withPadding = (t: tf.Tensor2D): tf.Tensor2D => (padding === null ? t : tf.add(t, padding));
    const { outputs } = this.config;
    return {
      feature: encoded.feature,
      logits: outputs.policy ? withPadding(policyLogits(this.config, this.params, encoded)) : null,
      value: outputs.value ? stateValue(this.config, this.params, encoded) : null,
      q: outputs.q ? withPadding(qValues(this.config, this.params, encoded)) : null,
    };
  }

  /** The forward pass on an observation batch, read back into arrays (no tensors escape). */
  predict(batch: ObservationBatch): NetworkPrediction {
    const tensors = tf.tidy(() => {
      const out = this.apply(batchTensors(batch, this.config.taskFeatures, this.config.serverFeatures));
      const kept: Record<string, tf.Tensor> = { feature: out.feature };
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
    return { feature: read(tensors.feature) as Float32Array, logits: read(tensors.logits), value: read(tensors.value), q: read(tensors.q) };
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
