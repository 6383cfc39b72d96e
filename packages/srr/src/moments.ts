import * as tf from '@tensorflow/tfjs';
import { decorrelationOfCovariance, klOfMeanVariance } from './losses.js';
import { type SrrConfig, type SrrLoss, weightedSrr } from './srr.js';

/**
 * A feature batch's first two moments as tensors: row count, mean (d) and the centred sum of
 * outer products `M2 = sum_i (h_i - mean)(h_i - mean)^T` (d x d). SRR's two terms are functions of
 * these alone, which is what lets a minibatch be split across threads: each thread pools its own
 * (differentiable) moments with the other shards' (constant) ones and gets the full-batch loss.
 */
export interface FeatureMoments {
  readonly count: number;
  readonly mean: tf.Tensor1D;
  readonly m2: tf.Tensor2D;
}

/** `FeatureMoments` read back into float64 arrays (what shards exchange; constants to the receiver). */
export interface MomentsData {
  readonly count: number;
  readonly mean: Float64Array;
  /** d x d, row-major. */
  readonly m2: Float64Array;
}

/** The moments of a B x d feature batch (call inside the caller's `tf.tidy`). */
export function featureMoments(features: tf.Tensor2D): FeatureMoments {
  const mean = tf.mean(features, 0) as tf.Tensor1D;
  const centered = tf.sub(features, mean) as tf.Tensor2D;
  return { count: features.shape[0], mean, m2: tf.matMul(centered, centered, true, false) };
}

/** Reads moments back (one read per tensor). */
export function momentsData(moments: FeatureMoments): MomentsData {
  return { count: moments.count, mean: Float64Array.from(moments.mean.dataSync()), m2: Float64Array.from(moments.m2.dataSync()) };
}

/**
 * Chan et al.'s parallel combination of two batches' moments, in float64:
 * `mean = mean_a + delta n_b / n`, `M2 = M2_a + M2_b + delta delta^T n_a n_b / n`, `delta = mean_b - mean_a`.
 * Stable where `sum h h^T - n mean mean^T` would cancel catastrophically.
 */
export function combineMoments(a: MomentsData, b: MomentsData): MomentsData {
  const d = a.mean.length;
  if (b.mean.length !== d || a.m2.length !== d * d || b.m2.length !== d * d) {
    throw new RangeError(`combineMoments: expected two sets of ${d}-dimensional moments, received ${a.mean.length} and ${b.mean.length} dimensions`);
  }
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const count = a.count + b.count;
  const mean = new Float64Array(d);
  const delta = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    delta[k] = (b.mean[k] as number) - (a.mean[k] as number);
    mean[k] = (a.mean[k] as number) + ((delta[k] as number) * b.count) / count;
  }
  const cross = (a.count * b.count) / count;
  const m2 = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    for (let l = 0; l < d; l++) {
      m2[k * d + l] = (a.m2[k * d + l] as number) + (b.m2[k * d + l] as number) + (delta[k] as number) * (delta[l] as number) * cross;
    }
  }
  return { count, mean, m2 };
}

/**
 * Pools this shard's moments (tensors, differentiable) with the other shards' (constants): the
 * moments of the whole minibatch, as a function of this shard's features only. The gradient of a
 * loss of the pooled moments with respect to this shard's features is then exactly this shard's
 * rows of the full-batch gradient, so summing the shards' parameter gradients gives the full one.
 */
export function poolMoments(local: FeatureMoments, remote: MomentsData): FeatureMoments {
  if (remote.count === 0) return local;
  const d = local.mean.shape[0];
  const count = local.count + remote.count;
  const delta = tf.sub(tf.tensor1d(Float32Array.from(remote.mean)), local.mean);
  const mean = tf.add(local.mean, tf.mul(delta, remote.count / count)) as tf.Tensor1D;
  const outer = tf.mul(tf.reshape(delta, [d, 1]), tf.reshape(delta, [1, d]));
  const m2 = tf.add(tf.add(local.m2, tf.tensor2d(Float32Array.from(remote.m2), [d, d])), tf.mul(outer, (local.count * remote.count) / count)) as tf.Tensor2D;
  return { count, mean, m2 };
}

/**
 * SRR from a batch's moments: the same two terms as `srrLoss` on the features (covariance with
 * 1/(B-1)), `w(epoch) * (lambdaDecor * L_decor + lambdaKl * L_kl)`.
 */
export function srrLossFromMoments(moments: FeatureMoments, epoch: number, config: SrrConfig): SrrLoss {
  if (moments.count < 2) throw new RangeError(`SRR needs a batch of at least 2 feature rows, got ${moments.count}`);
  const d = moments.mean.shape[0];
  const cov = tf.div(moments.m2, moments.count - 1) as tf.Tensor2D;
  const variance = tf.sum(tf.mul(cov, tf.eye(d)), 1) as tf.Tensor1D;
  return weightedSrr(decorrelationOfCovariance(cov, d), klOfMeanVariance(moments.mean, variance), epoch, config);
}
