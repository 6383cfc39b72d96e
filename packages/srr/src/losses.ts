import * as tf from '@tensorflow/tfjs';

/**
 * Small constant inside ln(sigma^2): a feature that collapses to a constant would otherwise give an
 * infinite loss and NaN gradients. 1e-8 is far below any variance the KL term aims for (1).
 */
export const VARIANCE_EPSILON = 1e-8;

function centeredBatch(features: tf.Tensor2D): { mean: tf.Tensor1D; centered: tf.Tensor2D; batch: number } {
  const batch = features.shape[0];
  if (batch < 2) throw new RangeError(`SRR needs a batch of at least 2 feature rows, got ${batch}`);
  const mean = tf.mean(features, 0) as tf.Tensor1D;
  return { mean, centered: tf.sub(features, mean) as tf.Tensor2D, batch };
}

/**
 * SRR's decorrelation term (paper section 4.3): `L_decor = sum over k != l of Sigma_kl^2`, with
 * `Sigma` the empirical covariance (1/(B-1)) of the attention features `H` (B x d). It is zero
 * exactly when the batch's feature dimensions are uncorrelated.
 */
export function decorrelationLoss(features: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const { centered, batch } = centeredBatch(features);
    const dim = features.shape[1];
    const cov = tf.div(tf.matMul(centered, centered, true, false), batch - 1);
    // A 0/1 mask of the off-diagonal entries keeps the whole expression differentiable.
    const offDiagonal = tf.sub(tf.ones([dim, dim]), tf.eye(dim));
    return tf.sum(tf.mul(tf.square(cov), offDiagonal)) as tf.Scalar;
  });
}

/**
 * SRR's distribution term: the KL divergence of the per-dimension Gaussian fit of `H` from N(0, 1),
 * `L_kl = sum_k 0.5 (sigma_k^2 + mu_k^2 - 1 - ln sigma_k^2)`, with sigma_k^2 the 1/(B-1) variance.
 */
export function klToStandardNormalLoss(features: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const { mean, centered, batch } = centeredBatch(features);
    const variance = tf.div(tf.sum(tf.square(centered), 0), batch - 1);
    const perDim = tf.mul(0.5, tf.sub(tf.sub(tf.add(variance, tf.square(mean)), 1), tf.log(tf.add(variance, VARIANCE_EPSILON))));
    return tf.sum(perDim) as tf.Scalar;
  });
}
