import { VARIANCE_EPSILON } from './losses.js';
import { type SrrConfig, srrWeight } from './srr.js';

/**
 * A feature batch's first two moments in float64: row count, mean (d) and the centred sum of outer
 * products `M2 = sum_i (h_i - mean)(h_i - mean)^T` (d x d, row-major). SRR's two terms are functions
 * of these alone, which is what lets a minibatch be split across threads: each shard pools its
 * moments with the others' (`combineMoments`) and gets the whole minibatch's loss and, for its own
 * rows, the whole minibatch's gradient (`srrGradient`).
 */
export interface MomentsData {
  readonly count: number;
  readonly mean: Float64Array;
  /** d x d, row-major. */
  readonly m2: Float64Array;
}

/** The moments of a rows x dim row-major feature batch, two-pass in float64. */
export function momentsOf(features: ArrayLike<number>, rows: number, dim: number): MomentsData {
  if (features.length !== rows * dim) throw new RangeError(`features: expected ${rows} x ${dim} = ${rows * dim} values, got ${features.length}`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < rows; i++) for (let k = 0; k < dim; k++) mean[k] = (mean[k] as number) + (features[i * dim + k] as number);
  for (let k = 0; k < dim; k++) mean[k] = (mean[k] as number) / rows;
  const m2 = new Float64Array(dim * dim);
  const centered = new Float64Array(dim);
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < dim; k++) centered[k] = (features[i * dim + k] as number) - (mean[k] as number);
    for (let k = 0; k < dim; k++) {
      const ck = centered[k] as number;
      for (let l = 0; l < dim; l++) m2[k * dim + l] = (m2[k * dim + l] as number) + ck * (centered[l] as number);
    }
  }
  return { count: rows, mean, m2 };
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

/** SRR's loss on a batch and its gradient with respect to some of the batch's feature rows. */
export interface SrrGradient {
  /** `w(epoch) * (lambdaDecor * L_decor + lambdaKl * L_kl)` of the whole batch. */
  readonly total: number;
  readonly decorrelation: number;
  readonly kl: number;
  readonly weight: number;
  /** d total / d h_i for the given rows (rows x d, row-major). */
  readonly gradient: Float32Array;
}

/**
 * SRR (the same terms as `srrLoss`, covariance 1/(B-1)) of the batch whose moments are `moments`,
 * and its gradient with respect to `features`: rows of that batch (all of it, or one shard of it).
 * In closed form, with `c_i = h_i - mu` and `Sigma = M2 / (B - 1)`:
 * - `d L_decor / d h_i = 4 Sigma_off c_i / (B - 1)`, `Sigma_off` being Sigma with a zero diagonal;
 * - `d L_kl / d h_ik = (1 - 1 / (sigma_k^2 + eps)) c_ik / (B - 1) + mu_k / B`.
 * The centring's own term drops out of both because the c_i sum to zero over the batch, so a
 * shard's rows of the gradient need only the pooled moments. Float64 throughout.
 */
export function srrGradient(features: ArrayLike<number>, rows: number, moments: MomentsData, epoch: number, config: SrrConfig): SrrGradient {
  const { count, mean, m2 } = moments;
  const dim = mean.length;
  if (count < 2) throw new RangeError(`SRR needs a batch of at least 2 feature rows, got ${count}`);
  if (features.length !== rows * dim) throw new RangeError(`features: expected ${rows} x ${dim} = ${rows * dim} values, got ${features.length}`);
  const weight = srrWeight(epoch, config);
  const covariance = Float64Array.from(m2, (v) => v / (count - 1));
  let decorrelation = 0;
  let kl = 0;
  // decorrelationScale = w lambda_decor 4 / (B - 1) times the off-diagonal covariance; klScale per dimension.
  const decorrelationMatrix = new Float64Array(dim * dim);
  const klScale = new Float64Array(dim);
  const klShift = new Float64Array(dim);
  for (let k = 0; k < dim; k++) {
    for (let l = 0; l < dim; l++) {
      if (k === l) continue;
      const s = covariance[k * dim + l] as number;
      decorrelation += s * s;
      decorrelationMatrix[k * dim + l] = (weight * config.lambdaDecor * 4 * s) / (count - 1);
    }
    const variance = covariance[k * dim + k] as number;
    const mu = mean[k] as number;
    kl += 0.5 * (variance + mu * mu - 1 - Math.log(variance + VARIANCE_EPSILON));
    klScale[k] = (weight * config.lambdaKl * (1 - 1 / (variance + VARIANCE_EPSILON))) / (count - 1);
    klShift[k] = (weight * config.lambdaKl * mu) / count;
  }
  const gradient = new Float32Array(rows * dim);
  const centered = new Float64Array(dim);
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < dim; k++) centered[k] = (features[i * dim + k] as number) - (mean[k] as number);
    for (let k = 0; k < dim; k++) {
      let g = (klScale[k] as number) * (centered[k] as number) + (klShift[k] as number);
      for (let l = 0; l < dim; l++) g += (decorrelationMatrix[k * dim + l] as number) * (centered[l] as number);
      gradient[i * dim + k] = g;
    }
  }
  return { total: weight * (config.lambdaDecor * decorrelation + config.lambdaKl * kl), decorrelation, kl, weight, gradient };
}
