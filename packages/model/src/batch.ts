import * as tf from '@tensorflow/tfjs';

/** One observation in `@scale/env`'s layout (structurally; the model does not depend on the env). */
export interface ObservationLike {
  /** Task features. */
  readonly task: Float32Array;
  /** `n` x serverFeatures, row-major. */
  readonly servers: Float32Array;
  /** 1 where the action is valid. */
  readonly mask: Uint8Array;
  /** Servers in this observation. */
  readonly n: number;
}

/**
 * A batch of observations, padded to the largest N in it. Padded server slots are excluded from the
 * attention (`present` = 0) and can never be chosen (`mask` = 0).
 */
export interface ObservationBatch {
  readonly size: number;
  /** Server slots per row (the largest N in the batch). */
  readonly n: number;
  /** size x taskFeatures. */
  readonly task: Float32Array;
  /** size x n x serverFeatures. */
  readonly servers: Float32Array;
  /** size x n, 1 for a real server; null when every row has all n. */
  readonly present: Uint8Array | null;
  /** size x n action mask. */
  readonly mask: Uint8Array;
  /** Each row's N. */
  readonly counts: Int32Array;
}

/** Packs observations into one padded batch. */
export function batchObservations(observations: readonly ObservationLike[], taskFeatures = 5, serverFeatures = 5): ObservationBatch {
  const size = observations.length;
  if (size === 0) throw new RangeError('batchObservations: expected at least one observation, received 0');
  let n = 0;
  let uniform = true;
  const first = observations[0] as ObservationLike;
  for (const obs of observations) {
    if (obs.n > n) n = obs.n;
    if (obs.n !== first.n) uniform = false;
  }
  const task = new Float32Array(size * taskFeatures);
  const servers = new Float32Array(size * n * serverFeatures);
  const mask = new Uint8Array(size * n);
  const present = uniform ? null : new Uint8Array(size * n);
  const counts = new Int32Array(size);
  for (let b = 0; b < size; b++) {
    const obs = observations[b] as ObservationLike;
    if (obs.task.length !== taskFeatures) throw new RangeError(`observation ${b}: task has ${obs.task.length} features, expected ${taskFeatures}`);
    if (obs.servers.length !== obs.n * serverFeatures) {
      throw new RangeError(`observation ${b}: servers has ${obs.servers.length} values, expected n * ${serverFeatures} = ${obs.n * serverFeatures}`);
    }
    task.set(obs.task, b * taskFeatures);
    servers.set(obs.servers, b * n * serverFeatures);
    mask.set(obs.mask, b * n);
    present?.fill(1, b * n, b * n + obs.n);
    counts[b] = obs.n;
  }
  return { size, n, task, servers, present, mask, counts };
}

/** The tensors a network reads. Create and dispose them inside the caller's `tf.tidy`. */
export interface BatchTensors {
  readonly size: number;
  readonly n: number;
  readonly task: tf.Tensor2D;
  readonly servers: tf.Tensor3D;
  /** size x 1 x n: 0 for real servers, -1e9 for padding (added to attention scores and logits); null when unpadded. */
  readonly attentionBias: tf.Tensor3D | null;
  /** size x n: 1 where the action is valid. */
  readonly mask: tf.Tensor2D;
}

/** A large negative logit for masked actions: finite, so an all-masked row gives no NaN. */
export const MASKED_LOGIT = -1e9;

export function batchTensors(batch: ObservationBatch, taskFeatures = 5, serverFeatures = 5): BatchTensors {
  let attentionBias: tf.Tensor3D | null = null;
  if (batch.present !== null) {
    const bias = new Float32Array(batch.size * batch.n);
    for (let i = 0; i < bias.length; i++) if (batch.present[i] === 0) bias[i] = MASKED_LOGIT;
    attentionBias = tf.tensor3d(bias, [batch.size, 1, batch.n]);
  }
  return {
    size: batch.size,
    n: batch.n,
    task: tf.tensor2d(batch.task, [batch.size, taskFeatures]),
    servers: tf.tensor3d(batch.servers, [batch.size, batch.n, serverFeatures]),
    attentionBias,
    mask: tf.tensor2d(Float32Array.from(batch.mask), [batch.size, batch.n]),
  };
}
